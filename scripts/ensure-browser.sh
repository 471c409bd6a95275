#!/usr/bin/env bash
# The browser tests' Chromium: Debian's chromium package (never a browser that a
# test tool downloads), and a font with Chinese characters for the screenshots.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qiE "wqy|noto sans cjk|droid sans fallback" || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "browser: installing ${missing[*]} from Debian's packages"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
