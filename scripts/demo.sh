#!/usr/bin/env bash
# `npm run demo`: installs and builds what is missing, starts the bundled SSE server and the Tauri
# demo app (examples/demo) pointed at it; the server stops when the app exits.
# `npm run demo -- --terminal`: the terminal demo (examples/terminal) instead, no display needed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

mode=app
[ "${1:-}" = --terminal ] && mode=terminal
if [ "$mode" = app ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: no display (DISPLAY/WAYLAND_DISPLAY unset), so the terminal demo runs instead of the app" >&2
  mode=terminal
fi

[ "$mode" = app ] && bash scripts/setup-system.sh
ensure_node_modules
ensure_built packages/sse-server packages/tauri-sse

if [ "$mode" = app ]; then
  use_shared_cargo_target
  npm run build --silent -w examples/demo
  cargo build -p tauri-sse-demo
fi

server_out=$(mktemp)
node packages/sse-server/dist/cli.js >"$server_out" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -f "$server_out"' EXIT
url=$(wait_for_server_url "$server_out")
echo "bundled SSE server at $url"

if [ "$mode" = app ]; then
  TAURI_SSE_SERVER=$url "$CARGO_TARGET_DIR/debug/tauri-sse-demo"
else
  node --import tsx examples/terminal/main.ts "$url"
fi
