#!/usr/bin/env bash
# The exactextract parity tests: make or reuse the pinned Python environment
# (scripts/python-env.sh), then run pytest over tests/python; exits with
# pytest's code (0 passed, 1 failures, 5 no test collected, ...). Extra
# arguments go to pytest (e.g. -k counties, -x). The tests build the release
# `zonal` example unless $TERRALUX_ZONAL names a binary to use.
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(scripts/python-env.sh)"
# No __pycache__ or .pytest_cache in the work tree.
PYTHONPYCACHEPREFIX="$(dirname "$(dirname "$python")")/pycache"
export PYTHONPYCACHEPREFIX
exec "$python" -m pytest -q -p no:cacheprovider tests/python "$@"
