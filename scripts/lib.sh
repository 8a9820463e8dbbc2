# Helpers shared by the scripts in this directory (sourced, not run).

section() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

# npm ci when node_modules is missing or older than package-lock.json (idempotent).
ensure_node_modules() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund
    touch node_modules
  fi
}

# Builds the given workspaces whose dist/ is missing or older than a source file.
ensure_built() {
  local ws stale=()
  for ws in "$@"; do
    if [ ! -d "$ws/dist" ] || [ -n "$(find "$ws/src" "$ws/package.json" -newer "$ws/dist" -print -quit)" ]; then
      stale+=(-w "$ws")
    fi
  done
  if ((${#stale[@]})); then
    npm run build "${stale[@]}"
    for ws in "$@"; do [ -d "$ws/dist" ] && touch "$ws/dist"; done
  fi
  return 0
}

# Reads the bundled server's {"url": …} line from the file its stdout goes to.
wait_for_server_url() {
  local file=$1 line
  for _ in $(seq 100); do
    line=$(head -n1 "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then
      node -e 'console.log(JSON.parse(process.argv[1]).url)' "$line"
      return 0
    fi
    sleep 0.1
  done
  echo "the SSE server did not start" >&2
  return 1
}

# One cargo target dir outside the checkout, shared by every clone (CI's fresh clone reuses the
# builds). Cargo hashes workspace members by their path inside the workspace, so clones share
# artifacts — including build-script output that records absolute paths (the plugin's permission
# files, the demo's embedded front end). When the checkout changes, those build scripts must run
# again: touching them is enough, and costs a rebuild of our crates only, not of the dependencies.
use_shared_cargo_target() {
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tauri-sse/target}"
  mkdir -p "$CARGO_TARGET_DIR"
  local marker="$CARGO_TARGET_DIR/.tauri-sse-checkout" here
  here=$(pwd -P)
  if [ "$(cat "$marker" 2>/dev/null)" != "$here" ]; then
    touch crates/tauri-plugin-eventsource/build.rs examples/demo/src-tauri/build.rs
    echo "$here" >"$marker"
  fi
}

# Background helpers (server, Xvfb, tauri-driver) for a script that drives the app: `start_helpers`
# makes $tmp and an exit trap; each helper started with `setsid … &` and added to `pids` runs in
# its own process group, which the trap stops with its children (WebKitWebDriver and the app
# under tauri-driver), also on failure.
start_helpers() {
  tmp=$(mktemp -d)
  pids=()
  trap stop_helpers EXIT
  trap 'exit 130' INT TERM
}
stop_helpers() {
  local status=$?
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
  exit "$status"
}

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Polls `check` (a command) for up to 20 s; fails with `what` and the helper's log.
wait_for() {
  local what=$1 log=$2
  shift 2
  for _ in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$(basename "$0" .sh): $what did not come up; its output:" >&2
  cat "$log" >&2
  return 1
}
