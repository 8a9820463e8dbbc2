#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Tauri v2 needs to build and the WebDriver/Xvfb pieces the
# end-to-end tests need, plus tauri-driver from crates.io. Idempotent: does nothing when all are present.
set -euo pipefail

pkgs=(build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libxdo-dev
      libayatana-appindicator3-dev librsvg2-dev webkit2gtk-driver xvfb xauth)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup-system: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
