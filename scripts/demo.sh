#!/usr/bin/env bash
# `npm run demo`: installs and builds what is missing, starts the bundled SSE server and the
# terminal demo against it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_node_modules
ensure_built packages/sse-server packages/tauri-sse

server_out=$(mktemp)
node packages/sse-server/dist/cli.js >"$server_out" &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -f "$server_out"' EXIT
url=$(wait_for_server_url "$server_out")
echo "bundled SSE server at $url"

node --import tsx examples/terminal/main.ts "$url"
