#!/usr/bin/env bash
# The whole test suite: with GDAL (the default) and without it (the kernels alone).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
cargo test --no-default-features
cargo test
