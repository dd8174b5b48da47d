#!/usr/bin/env bash
# Install the system packages terralux builds against, if any is missing.
# Debian/Ubuntu; idempotent; uses sudo only when not running as root.
#   scripts/setup.sh            what the library and its binaries need (with the fonts
#                               the maps draw text in: DejaVu, and Noto CJK for Chinese)
#   scripts/setup.sh --browser  also a headless browser, for the HTML map tests
set -euo pipefail

packages=(libgdal-dev gdal-bin libproj-dev proj-bin libclang-dev pkg-config
  fonts-dejavu-core fonts-noto-cjk)
want_browser=false
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null \
  && ! command -v chromium-browser >/dev/null && ! command -v google-chrome >/dev/null; then
  want_browser=true
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if ((${#missing[@]} > 0)) || $want_browser; then
  $sudo apt-get update -qq
fi
if $want_browser; then
  # Debian's package is chromium; Ubuntu's is chromium-browser.
  if apt-cache show chromium >/dev/null 2>&1; then
    missing+=(chromium)
  else
    missing+=(chromium-browser)
  fi
fi
if ((${#missing[@]} > 0)); then
  echo "terralux setup: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
