#!/usr/bin/env bash
# The main job on the bundled test data: zonal statistics of the night-light
# raster over the county layer (CSV, GeoJSON, GeoPackage) and night-light
# indicators per county and year (county_ntl), each with its provenance
# file, under out/ (or the folder given as $1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out="${1:-out}"
mkdir -p "$out"
cargo build --release --quiet --example zonal --example county_ntl
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
echo "wrote $out/counties.{csv,geojson,gpkg} (zonal) and $out/county_ntl.csv (indicators), each with a .provenance.json:" >&2
cat "$out/county_ntl.csv"
