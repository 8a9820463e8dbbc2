#!/usr/bin/env bash
# The packages as a newcomer gets them: a brand-new app from the official scaffolder, the README's
# "Use it in your Tauri app" steps applied literally, built, and run in WebKitGTK under Xvfb via
# tauri-driver, where its page (e2e/consumer/main.ts) streams from the bundled server over the
# `tauri` and `auto` transports through dropped connections (checked by e2e/consumer/check.ts).
#
# The README's layout, rebuilt outside the repository in $TAURI_SSE_CONSUMER_DIR (default
# ${TMPDIR:-/tmp}/tauri-sse-consumer), with what the registries would get in place of a clone:
#   tauri-sse/tauri-sse-0.1.0.tgz                   `npm pack -w packages/tauri-sse`
#   tauri-sse/crates/tauri-plugin-eventsource/      the crate as `cargo package` ships it (unpacked)
#   my-app/                                         `create-tauri-app` (vanilla-ts, npm)
# Cargo output goes to the shared target dir (CARGO_TARGET_DIR), so Tauri is compiled once; the
# app's Cargo.lock starts as a copy of the workspace's (the versions `cargo test` ran with) and
# `cargo update -p tauri` moves it to the newest tauri 2.x, as npm does for @tauri-apps/api.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
repo=$(pwd -P)
started=$SECONDS

CREATE_TAURI_APP=4.7.4 # pinned: the scaffold's content is part of what is tested

use_shared_cargo_target
bash scripts/setup-system.sh
driver_bin=$(bash scripts/setup-e2e.sh)
ensure_node_modules
ensure_built packages/sse-server packages/tauri-sse

work="${TAURI_SSE_CONSUMER_DIR:-${TMPDIR:-/tmp}/tauri-sse-consumer}"
case "$(realpath -m "$work")/" in "$repo"/*) echo "consumer-test: $work is inside the repository" >&2; exit 1 ;; esac
# Fresh every run, but at the same path: cargo's fingerprints for the app and the plugin stay valid.
rm -rf "$work/tauri-sse" "$work/my-app"
mkdir -p "$work/tauri-sse/crates"

section "consumer: pack tauri-sse (npm pack) and the crate (cargo package)"
version=$(node -p 'require("./packages/tauri-sse/package.json").version')
npm pack -w packages/tauri-sse --pack-destination "$work/tauri-sse" --silent >/dev/null
cargo package -p tauri-plugin-eventsource --allow-dirty --no-verify --quiet
tar -xzf "$CARGO_TARGET_DIR/package/tauri-plugin-eventsource-$version.crate" -C "$work/tauri-sse/crates"
mv "$work/tauri-sse/crates/tauri-plugin-eventsource-$version" "$work/tauri-sse/crates/tauri-plugin-eventsource"

section "consumer: create-tauri-app@$CREATE_TAURI_APP (vanilla-ts, npm) and the README's steps"
cd "$work"
npx --yes "create-tauri-app@$CREATE_TAURI_APP" --template vanilla-ts --manager npm \
  --identifier dev.tauri-sse.consumer --yes my-app >/dev/null
cd my-app
npm install --no-audit --no-fund --silent # what the scaffolder says to run first
# 1. the npm package, from the tarball
npm install --no-audit --no-fund --silent "../tauri-sse/tauri-sse-$version.tgz"
# 2. the Rust plugin, a path dependency (the seeded lock: see the header)
cp "$repo/Cargo.lock" src-tauri/Cargo.lock
(cd src-tauri && cargo add --quiet tauri-plugin-eventsource --path ../../tauri-sse/crates/tauri-plugin-eventsource &&
  cargo update --quiet -p tauri)
# 3. register it right after tauri::Builder::default()
sed -i 's/^\( *\)tauri::Builder::default()$/&\n\1    .plugin(tauri_plugin_eventsource::init())/' src-tauri/src/lib.rs
grep -q 'plugin(tauri_plugin_eventsource::init())' src-tauri/src/lib.rs || { echo "consumer-test: lib.rs has no tauri::Builder::default() line" >&2; exit 1; }
# 4. the capability entry, with the bundled server's loopback origin as the URL
node -e '
  const fs = require("fs"), file = "src-tauri/capabilities/default.json";
  const capability = JSON.parse(fs.readFileSync(file, "utf8"));
  capability.permissions.push({ identifier: "eventsource:default", allow: [{ url: "http://127.0.0.1:*" }] });
  fs.writeFileSync(file, JSON.stringify(capability, null, 2) + "\n");'
# 5. the page
cp "$repo/e2e/consumer/main.ts" src/main.ts

section "consumer: build the app (npm run tauri build -- --debug --no-bundle)"
build_started=$SECONDS
npm run --silent tauri build -- --debug --no-bundle
app="$CARGO_TARGET_DIR/debug/my-app"
[ -x "$app" ] || { echo "consumer-test: no binary at $app" >&2; exit 1; }
echo "consumer: app built in $((SECONDS - build_started)) s"

section "consumer: run it in WebKitGTK under Xvfb via tauri-driver"
cd "$repo"
start_helpers

setsid node packages/sse-server/dist/cli.js --port 0 --host 127.0.0.1 >"$tmp/server.out" &
pids+=($!)
server=$(wait_for_server_url "$tmp/server.out")
setsid Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
wait_for "Xvfb" "$tmp/xvfb.log" grep -q '[0-9]' "$tmp/display"
port=$(free_port)
native_port=$(free_port)
DISPLAY=":$(tr -dc 0-9 <"$tmp/display")" setsid "$driver_bin" --port "$port" --native-port "$native_port" \
  --native-driver /usr/bin/WebKitWebDriver >"$tmp/driver.log" 2>&1 &
pids+=($!)
wait_for "tauri-driver" "$tmp/driver.log" node -e \
  'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$port/status"

TAURI_DRIVER_URL="http://127.0.0.1:$port" TAURI_SSE_APP="$app" TAURI_SSE_SERVER="$server" \
  node --import tsx e2e/consumer/check.ts
echo "consumer: passed in $((SECONDS - started)) s"
