#!/usr/bin/env bash
# `npm test` (and CI's .ci/run): set up, build, then every test suite. Each suite is a section;
# append new ones at the marked spots. Idempotent: a second run reinstalls nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# Rust builds are slow on this machine: share one target dir across checkouts and runs.
use_shared_cargo_target

section "setup (Debian packages for Tauri, npm packages)"
bash scripts/setup-system.sh
ensure_node_modules

section "build (TypeScript)"
npm run build

section "build (the Rust parser's stdin harness, so the differential fuzz tests compare TS with Rust)"
cargo build --quiet -p tauri-plugin-eventsource --example parse_stdin

section "TypeScript: type-check the tests, the end-to-end tests and the benchmarks"
npx tsc -p packages/tauri-sse/test/tsconfig.json
npx tsc -p e2e/tsconfig.json
npx tsc -p bench/tsconfig.json

section "TypeScript tests (parser, core, EventSource, iterator, transports, bundled server)"
npm test -w packages/tauri-sse

# ---- Rust section (cargo fmt --check, clippy -D warnings, cargo test --workspace): add below ----
section "Rust: format, lints, tests (plugin: parser vectors, loopback connection tests, commands/ACL)"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace

# ---- packages section (what npm and crates.io would get) ----
section "packages: npm pack + strict consumer type checks, cargo publish --dry-run + tests of the packaged crate"
bash scripts/package-test.sh

# ---- end-to-end section (Tauri demo driven over WebDriver): add below ----
section "end-to-end: the demo app in WebKitGTK under Xvfb via tauri-driver (scripts/e2e.sh)"
bash scripts/e2e.sh

section "consumer: a brand-new create-tauri-app app following the README, in WebKitGTK (scripts/consumer-test.sh)"
bash scripts/consumer-test.sh

section "all tests passed"
