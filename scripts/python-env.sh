#!/usr/bin/env bash
# Create or update the Python environment of the exactextract parity tests
# (tests/python) and print the path of its python. Idempotent and quiet on
# success: a venv whose requirements and interpreter are unchanged is used
# as it is (well under a second); otherwise it is (re)made from the pinned
# tests/python/requirements.txt.
#
# Where: $TERRALUX_PYENV, else $CARGO_TARGET_DIR/pyenv, else target/pyenv
# (outside git; under CI's CARGO_TARGET_DIR it is kept between runs).
# Interpreter: $PYTHON, else python3. If its venv module is missing (Debian
# without python3-venv), python3-venv is installed with apt (sudo when not root).
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
requirements="tests/python/requirements.txt"
venv="${TERRALUX_PYENV:-${CARGO_TARGET_DIR:-target}/pyenv}"
mkdir -p "$(dirname "$venv")"
venv="$(cd "$(dirname "$venv")" && pwd)/$(basename "$venv")"

# One run at a time may make the venv.
exec 9>"$venv.lock"
flock 9

base="$(command -v "$python" || true)"
if [ -z "$base" ]; then
  echo "python-env: no $python on PATH" >&2
  exit 1
fi
# What the venv was made from: the requirements and the interpreter itself.
want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
stamp="$venv/.terralux-requirements"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] \
  && "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail() {
  echo "python-env: $1 (log below)" >&2
  cat "$log" >&2
  exit 1
}

if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  # Debian's python3 keeps venv/ensurepip in python3-venv.
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "python-env: installing python3-venv" >&2
  $sudo apt-get update -qq >"$log" 2>&1 || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv \
    >>"$log" 2>&1 || fail "could not install python3-venv"
fi

# --clear: a venv of another interpreter or requirements is made anew.
"$python" -m venv --clear "$venv" >"$log" 2>&1 || fail "python -m venv $venv failed"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --requirement "$requirements" >>"$log" 2>&1 || fail "pip install -r $requirements failed"
"$venv/bin/python" -c 'import exactextract, rasterio, fiona, numpy, pytest, pandas, pyarrow, geopandas, tqdm, dask, distributed' >>"$log" 2>&1 \
  || fail "the installed packages do not import"
echo "$want" >"$stamp"
echo "$venv/bin/python"
