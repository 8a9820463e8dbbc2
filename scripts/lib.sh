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
