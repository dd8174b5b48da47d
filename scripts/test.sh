#!/usr/bin/env bash
# The whole test suite: with GDAL (the default) and without it (the kernels
# alone), then the exactextract parity tests in Python (tests/python, in a
# pinned venv made by scripts/python-env.sh; pytest's summary closes the log).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
cargo test --no-default-features
cargo test
scripts/python-tests.sh
