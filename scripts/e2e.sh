#!/usr/bin/env bash
# End-to-end tests of the demo app in a real WebKitGTK webview, headless:
#   build the front end and the app (embedded assets), start the bundled SSE server, Xvfb and
#   tauri-driver, run e2e/*.test.ts (Node's test runner), and tear everything down, also on failure.
# Usage: scripts/e2e.sh [test files]     the tests, default e2e/*.test.ts (writes artifacts/screenshot.png)
#        scripts/e2e.sh --bench [--busy]   bench/webview.ts instead (writes its section of BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

mode=test
if [ "${1:-}" = --bench ]; then mode=bench; shift; fi
args=("$@")
((${#args[@]})) || [ "$mode" = bench ] || args=(e2e/*.test.ts)

use_shared_cargo_target
bash scripts/setup-system.sh
driver_bin=$(bash scripts/setup-e2e.sh)
ensure_node_modules

section "e2e: build the front end and the app"
ensure_built packages/sse-server packages/tauri-sse
npm run build --silent -w examples/demo
# The default `custom-protocol` feature embeds examples/demo/dist (what `tauri build` would turn on).
# Tests use the quick-to-build dev profile; the benchmark measures the release build users ship.
if [ "$mode" = bench ]; then profile=release; else profile=dev; fi
cargo build --quiet -p tauri-sse-demo --profile "$profile"
app="$CARGO_TARGET_DIR/$([ "$profile" = dev ] && echo debug || echo release)/tauri-sse-demo"

start_helpers

setsid node packages/sse-server/dist/cli.js --port 0 >"$tmp/server.out" &
pids+=($!)
server=$(wait_for_server_url "$tmp/server.out")

# -displayfd picks a free display number and writes it once the server is ready.
setsid Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
wait_for "Xvfb" "$tmp/xvfb.log" grep -q '[0-9]' "$tmp/display"
display=":$(tr -dc 0-9 <"$tmp/display")"

port=$(free_port)
native_port=$(free_port)
# The app inherits this environment through tauri-driver and WebKitWebDriver.
DISPLAY=$display TAURI_SSE_SERVER=$server setsid "$driver_bin" --port "$port" --native-port "$native_port" \
  --native-driver /usr/bin/WebKitWebDriver >"$tmp/driver.log" 2>&1 &
pids+=($!)
wait_for "tauri-driver" "$tmp/driver.log" node -e \
  'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$port/status"

export TAURI_DRIVER_URL="http://127.0.0.1:$port" TAURI_SSE_APP="$app" TAURI_SSE_SERVER="$server"
section "e2e: server $server, display $display, tauri-driver :$port"
if [ "$mode" = bench ]; then
  node --import tsx bench/webview.ts "${args[@]}"
else
  node --import tsx --test --test-concurrency=1 --test-reporter=spec "${args[@]}"
fi
