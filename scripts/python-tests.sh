#!/usr/bin/env bash
# The Python tests: make or reuse the pinned Python environment
# (scripts/python-env.sh), build and install the Python package (python/,
# with maturin; skipped when its sources and the library's are unchanged
# since the last install into that venv), then run pytest over tests/python
# (the exactextract parity tests of the `zonal` binary) and python/tests
# (the package's tests); exits with pytest's code (0 passed, 1 failures, 5
# no test collected, ...). Extra arguments go to pytest (e.g. -k counties,
# -x). The tests build the release `zonal` example unless $TERRALUX_ZONAL
# names a binary to use. The package's Rust build goes to $CARGO_TARGET_DIR
# (default target/), so that reruns compile nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(scripts/python-env.sh)"
venv="$(dirname "$(dirname "$python")")"
# No __pycache__ or .pytest_cache in the work tree.
PYTHONPYCACHEPREFIX="$venv/pycache"
export PYTHONPYCACHEPREFIX
# maturin (the build backend) runs from the venv.
export PATH="$venv/bin:$PATH"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$PWD/$CARGO_TARGET_DIR" ;; esac
export CARGO_TARGET_DIR

# What the installed package was built from: every source of python/ and of the library.
sources="$(find python/Cargo.toml python/Cargo.lock python/pyproject.toml python/src python/terralux \
  Cargo.toml Cargo.lock src -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
stamp="$venv/.terralux-package"
if [ "$(cat "$stamp" 2>/dev/null)" != "$sources" ] || ! "$python" -c 'import terralux' 2>/dev/null; then
  log="$(mktemp)"
  if ! "$python" -m pip install --quiet --disable-pip-version-check --no-input \
    --no-build-isolation --no-deps --force-reinstall ./python >"$log" 2>&1; then
    echo "python-tests: building the Python package failed (pip install ./python; log below)" >&2
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  echo "$sources" >"$stamp"
fi
exec "$python" -m pytest -q -p no:cacheprovider -c tests/python/pytest.ini tests/python python/tests "$@"
