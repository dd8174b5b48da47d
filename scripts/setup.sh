#!/usr/bin/env bash
# Install the system packages terralux builds against, if any is missing.
# Debian/Ubuntu; idempotent; uses sudo only when not running as root.
#   scripts/setup.sh            what the library and its binaries need
#   scripts/setup.sh --browser  also a headless browser, for the HTML map tests
set -euo pipefail

packages=(libgdal-dev gdal-bin libproj-dev proj-bin libclang-dev pkg-config)
if [ "${1:-}" = "--browser" ]; then
  # Debian names it chromium; Ubuntu's chromium-browser is a snap shim, so
  # Ubuntu users may prefer Google Chrome (found by the tests as google-chrome).
  if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
    :
  else
    packages+=(chromium)
  fi
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "terralux setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
