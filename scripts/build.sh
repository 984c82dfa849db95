#!/usr/bin/env bash
# Builds dist/: candor.js (loader + wasm-bindgen glue, one classic script),
# candor_bg.wasm (release, wasm-opt -Oz), candor.d.ts (+ candor.d.mts: the module's), and candor.mjs (the same
# code as an ES module exporting load(); see src/js/esm.js).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${CANDOR_TOOLS:-$HOME/.cache/candor-tools}"
OUT=target/bindgen
cargo build --release --target wasm32-unknown-unknown --lib
rm -rf "$OUT" && mkdir -p "$OUT" dist
# No stale compressed copy may outlive a failed build: they are written last.
rm -f dist/*.br dist/*.gz
"$TOOLS/bin/wasm-bindgen" --target no-modules --no-typescript --out-dir "$OUT" --out-name candor \
  target/wasm32-unknown-unknown/release/candor.wasm
node_modules/.bin/wasm-opt -Oz --converge --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-multivalue --strip-debug --strip-producers \
  --one-caller-inline-max-function-size 0 --low-memory-unused --reorder-functions-by-name \
  "$OUT/candor_bg.wasm" -o dist/candor_bg.wasm
# --reorder-functions-by-name: the copies of one generic function (every
# `collect`, `map().fold`, `try_fold`...) share a name up to their hash, so
# they end up next to each other, where brotli finds their likeness (-0.8 KB
# brotli; the code is the same, only its order in the module changes).
# --low-memory-unused: addresses below 1 KB are never used (rustc links
# wasm32 with the stack first, from its size (.cargo/config.toml) down to 0: only a stack overflow
# would reach them), so constant offsets fold into loads and stores
# (-0.5 KB brotli).
# --one-caller-inline-max-function-size 0: wasm-opt would otherwise inline every
# function with one caller, whatever its size, so boot became one 45-61 KB
# function. Chromium compiles wasm lazily, one function at its first call, so
# that whole body (config readers for sections the page does not use, error
# paths) was compiled before the banner; kept apart, only what runs is. It
# also compresses better.
# The JSON and Reflect functions the glue and the loader call are taken when
# candor.js runs, into variables that shadow the globals in its scope: a
# script the page runs later that wraps JSON.parse or Reflect.set cannot
# change what consent(), inspect() and the event details say.
{
  printf '/*! Candor %s | MIT OR Apache-2.0 */\n(function (options) {\n"use strict";\n' "$(awk -F'"' '/^version/ {print $2; exit}' Cargo.toml)"
  printf 'var JSON = { parse: globalThis.JSON.parse, stringify: globalThis.JSON.stringify };\n'
  printf 'var Reflect = { get: globalThis.Reflect.get, set: globalThis.Reflect.set, deleteProperty: globalThis.Reflect.deleteProperty };\n'
  cat "$OUT/candor.js"
  cat src/js/loader.js
  # Consent Mode and TCF stubs: their synchronous part must run with the loader.
  cat src/js/gcm.js src/js/tcf.js
  # The body's value (see loader.js): window.candor, for the ES module's load().
  printf 'return candor;\n})(null);\n'
} > "$OUT/candor.full.js"
node_modules/.bin/terser "$OUT/candor.full.js" --compress passes=2 --mangle --comments '/^!/' --ecma 2017 -o dist/candor.js
# candor.mjs, the ES module: the same body as candor.js, as candorCore(options), plus src/js/esm.js's load().
sed -e '2s/^(function (options) {$/function candorCore(options) {/' -e '$s/^})(null);$/}/' "$OUT/candor.full.js" > "$OUT/candor.full.mjs"
[ "$(sed -n 2p "$OUT/candor.full.mjs")" = 'function candorCore(options) {' ] && [ "$(tail -n1 "$OUT/candor.full.mjs")" = '}' ] \
  || { echo "build.sh: candor.full.js no longer starts with (function (options) { and ends with })(null);" >&2; exit 1; }
cat src/js/esm.js >> "$OUT/candor.full.mjs"
node_modules/.bin/terser "$OUT/candor.full.mjs" --module --compress passes=2 --mangle --comments '/^!/' --ecma 2017 -o dist/candor.mjs
cp src/js/candor.d.ts src/js/candor.d.mts dist/
# What `make package` adds from the sources (schema, built-in strings)
# follows them too, so a dist/ packaged before never holds stale copies.
if [ -d dist/locales ]; then rm -rf dist/locales && cp -r pkg-config/locales dist/locales; fi
if [ -f dist/schema.json ]; then cp pkg-config/candor.config.schema.json dist/schema.json; fi
for f in report receipt; do if [ -f "dist/$f.schema.json" ]; then cp "pkg-config/$f.schema.json" dist/; fi; done
if [ -d dist/testing ]; then rm -rf dist/testing && cp -r src/js/testing dist/testing; fi
# Precompressed copies for servers that pick one by Accept-Encoding (the
# collector does): brotli where the browser accepts it, else gzip.
# The npm package lists its files and does not ship these.
for f in candor.js candor.mjs candor_bg.wasm; do
  brotli -q 11 -f -o "dist/$f.br" "dist/$f"
  gzip -9 -n -c "dist/$f" > "dist/$f.gz"
done
ls -l dist
