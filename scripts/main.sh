#!/usr/bin/env bash
# The main job on the bundled test data: open the night-light raster and the
# county layer and print what terralux sees in them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo run --release --example summary -- \
  --raster testdata/ntl.tif \
  --zones testdata/counties.gpkg --id-field code "$@"
