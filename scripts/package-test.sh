#!/usr/bin/env bash
# The two packages as the registries would get them:
#   tauri-sse (npm): `npm pack`, its file list, and a strict consumer project type-checking the
#     tarball under moduleResolution "bundler" and "node16" (e2e/consumer/types);
#   tauri-plugin-eventsource (crates.io): its file list, `cargo publish --dry-run` (builds the
#     packaged crate alone, outside the workspace) and `cargo test` of that packaged crate.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
use_shared_cargo_target
repo=$(pwd -P)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "package-test: $*" >&2; exit 1; }

for dir in crates/tauri-plugin-eventsource packages/tauri-sse; do
  for license in LICENSE-MIT LICENSE-APACHE; do
    cmp -s "$license" "$dir/$license" || fail "$dir/$license differs from the root's $license"
  done
done

section "npm: pack tauri-sse, check its files, type-check it in a strict consumer (bundler, node16)"
ensure_built packages/tauri-sse
npm pack -w packages/tauri-sse --pack-destination "$tmp" --json >"$tmp/pack.json"
node -e '
  const [{ filename, files }] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const paths = files.map((f) => f.path);
  const need = ["package.json", "README.md", "LICENSE-MIT", "LICENSE-APACHE", "dist/index.js", "dist/index.d.ts", "dist/parser/index.js", "dist/parser/index.d.ts"];
  const missing = need.filter((p) => !paths.includes(p));
  const stray = paths.filter((p) => /^(test|node_modules)\/|tsbuildinfo$/.test(p));
  if (missing.length || stray.length) { console.error("npm pack:", { missing, stray }); process.exit(1); }
  console.log(`${filename}: ${paths.length} files`);' "$tmp/pack.json"
mkdir "$tmp/types"
cp e2e/consumer/types/* "$tmp/types/"
echo '{ "name": "types-consumer", "private": true, "type": "module" }' >"$tmp/types/package.json"
# No @tauri-apps/api: an optional peer, so the types must not need it.
(cd "$tmp/types" && npm install --no-audit --no-fund --silent "$tmp"/tauri-sse-*.tgz)
for config in bundler node16; do
  "$repo/node_modules/.bin/tsc" -p "$tmp/types/tsconfig.$config.json"
  echo "types: strict consumer, moduleResolution $config: ok"
done

# The lowest @tauri-apps/api the package declares (its peer range's floor) must compile its sources:
# 2.5 added `new Channel(callback)`; against 2.4 this check fails.
lowest_api=$(node -p 'require("./packages/tauri-sse/package.json").peerDependencies["@tauri-apps/api"].replace(/^[^0-9]*/, "")')
mkdir "$tmp/lowest"
cp -r packages/tauri-sse/src "$tmp/lowest/src"
echo '{ "name": "lowest-api", "private": true, "type": "module" }' >"$tmp/lowest/package.json"
echo "{ \"extends\": \"$repo/tsconfig.base.json\", \"compilerOptions\": { \"noEmit\": true, \"types\": [] }, \"include\": [\"src\"] }" >"$tmp/lowest/tsconfig.json"
(cd "$tmp/lowest" && npm install --no-audit --no-fund --silent "@tauri-apps/api@$lowest_api")
"$repo/node_modules/.bin/tsc" -p "$tmp/lowest/tsconfig.json"
echo "types: the sources against @tauri-apps/api $lowest_api (the declared lowest): ok"

section "crates.io: tauri-plugin-eventsource's files, cargo publish --dry-run, cargo test of the packaged crate"
cargo package -p tauri-plugin-eventsource --allow-dirty --list >"$tmp/crate-files"
for f in Cargo.toml README.md LICENSE-MIT LICENSE-APACHE build.rs src/lib.rs permissions/default.toml; do
  grep -qx "$f" "$tmp/crate-files" || fail "the packaged crate lacks $f"
done
! grep -E '^(tests|benches|examples)/' "$tmp/crate-files" || fail "the packaged crate ships files that need the repository"
echo "crate: $(wc -l <"$tmp/crate-files") files"
cargo publish --dry-run --quiet -p tauri-plugin-eventsource --allow-dirty
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' crates/tauri-plugin-eventsource/Cargo.toml | head -n1)
# Where the dry run unpacked and built it: a stable path, so cargo reuses that build here.
packaged="$CARGO_TARGET_DIR/package/tauri-plugin-eventsource-$version"
[ -f "$packaged/Cargo.lock" ] || cp Cargo.lock "$packaged/Cargo.lock"
cargo test --quiet --manifest-path "$packaged/Cargo.toml"

# The lowest tauri the crate declares (2.5: the floor @tauri-apps/api sets, as Tauri's CLI wants
# both on one minor) must build it: the packaged crate, without its dev-dependencies (the tests
# use newer tauri test APIs), with the Tauri crates of the 2.5.0 release pinned (tauri 2.5.0
# does not build against later tauri-utils). A second app build at these versions is left out:
# it would compile another wry/WebKitGTK stack (~7 min on 2 cores) for what this check covers.
section "crates.io: tauri-plugin-eventsource against tauri 2.5.0 (the declared lowest)"
lowest="$CARGO_TARGET_DIR/package/lowest/tauri-plugin-eventsource"
rm -rf "$lowest" && mkdir -p "$(dirname "$lowest")" && cp -r "$packaged" "$lowest" && rm -rf "$lowest/target"
node -e '
  const fs = require("fs"), file = process.argv[1];
  const tables = fs.readFileSync(file, "utf8").split(/^(?=\[)/m);
  fs.writeFileSync(file, tables.filter((t) => !t.startsWith("[dev-dependencies")).join(""));' "$lowest/Cargo.toml"
grep -q '^\[dependencies.tauri\]' "$lowest/Cargo.toml" && grep -A2 '^\[dependencies.tauri\]' "$lowest/Cargo.toml" | grep -q '"2.5"' ||
  fail "the crate's tauri requirement is no longer 2.5: update this check"
(
  cd "$lowest"
  cargo update --quiet -p tauri --precise 2.5.0
  # In this order: each pin must leave the next one satisfiable.
  for pin in tauri-plugin@2.2.0 tauri-runtime@2.6.0 tauri-macros@2.2.0 tauri-codegen@2.2.0 tauri-build@2.2.0 tauri-utils@2.4.0; do
    cargo update --quiet -p "${pin%@*}" --precise "${pin#*@}"
  done
  cargo check --quiet --lib
)
echo "crate: builds against tauri $(grep -A1 '^name = "tauri"$' "$lowest/Cargo.lock" | sed -n 's/version = "\(.*\)"/\1/p')"
