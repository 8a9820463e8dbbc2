#!/usr/bin/env bash
# Installs what the end-to-end tests need beyond scripts/setup-system.sh: tauri-driver (crates.io) into
# a cache dir. Idempotent: a present tauri-driver 2.x is kept. Prints the binary's path on stdout.
set -euo pipefail

root="${TAURI_SSE_CACHE:-$HOME/.cache/tauri-sse}"
bin="$root/bin/tauri-driver"

if ! [ -x "$bin" ] || ! "$bin" --help >/dev/null 2>&1; then
  echo "setup-e2e: installing tauri-driver 2.x into $root" >&2
  # Its own target dir: the install must not wait on (or invalidate) the workspace build lock.
  CARGO_TARGET_DIR="$root/target-tools" cargo install tauri-driver --version '^2' --locked --root "$root" --quiet >&2
fi
echo "$bin"
