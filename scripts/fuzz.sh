#!/usr/bin/env bash
# Long differential fuzzing run of the SSE parsers (docs/reliability.md):
#   scripts/fuzz.sh [iterations=20000] [first seed=1]
# Each iteration is one random stream cut three ways and compared: our TS parser against itself
# unsplit, against eventsource-parser 4.1.3, and against the Rust parser (examples/parse_stdin,
# built here first). Prints figures per 2,000 seeds and a shrunk JSON reproducer per disagreement;
# exits 1 if there was any. `npm test` runs a fixed 300-seed subset (test/fuzz.test.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
use_shared_cargo_target
iterations="${1:-20000}"
first="${2:-1}"

if command -v cargo >/dev/null; then
  # Two cores: never race another cargo build for the shared target dir.
  while pgrep -f "cargo (build|test|clippy)" >/dev/null; do
    echo "fuzz.sh: waiting for another cargo build to finish..." >&2
    sleep 10
  done
  cargo build --quiet -p tauri-plugin-eventsource --example parse_stdin
else
  echo "fuzz.sh: cargo not found, the Rust parser is not compared" >&2
fi

cd packages/tauri-sse
exec node --import tsx test/reliability/fuzz-cli.ts "$iterations" "$first"
