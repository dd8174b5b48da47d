#!/usr/bin/env bash
# The main job on the bundled test data: zonal statistics of the night-light
# raster over the county layer (CSV, GeoJSON, GeoPackage) and night-light
# indicators per county and year (county_ntl), a composite index of the
# latest year with its maps (poverty_index), each with its provenance
# file, under out/ (or the folder given as $1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out="${1:-out}"
mkdir -p "$out"
cargo build --release --quiet --example zonal --example county_ntl --example poverty_index
for format in csv geojson gpkg; do
  cargo run --release --quiet --example zonal -- \
    --raster testdata/ntl.tif \
    --zones testdata/counties.gpkg --id-field code \
    --stats count,sum,mean,min,max,stdev,median,p90,valid_frac,outside_frac \
    --output "$out/counties.$format"
done
# Night-light indicators per county and year (three VNL years, population on a 30" grid).
cargo run --release --quiet --example county_ntl -- \
  --dir testdata/products/vnl \
  --zones testdata/counties.gpkg --id-field code \
  --population testdata/products/population_30s.tif \
  --output "$out/county_ntl.csv"
# A composite index of the 2023 indicators (Gini: higher is worse; entropy weights),
# with a PNG/SVG choropleth and a self-contained interactive HTML map.
cargo run --release --quiet --example poverty_index -- \
  --table "$out/county_ntl.csv" --date 2023 \
  --zones testdata/counties.gpkg --id-field code \
  --indicators density,lit_frac,per_capita,gini --worse gini --weights entropy \
  --output "$out/poverty_index.csv"
# The same straight from the raster, rolled up to cities and provinces in the same pass.
cargo run --release --quiet --example poverty_index -- \
  --raster testdata/ntl.tif \
  --zones testdata/counties.gpkg --id-field code \
  --indicators mean,p90,valid_frac --roll-up city --roll-up province \
  --output "$out/raster_index.csv"
echo "wrote $out/counties.{csv,geojson,gpkg} (zonal), $out/county_ntl.csv (indicators)," \
  "$out/poverty_index.{csv,png,svg,html} and $out/raster_index{,_by_city,_by_province}.csv" \
  "(indices and maps), each table with a .provenance.json:" >&2
cat "$out/county_ntl.csv"
