#!/usr/bin/env bash
# Builds dist/: candor.js (loader + wasm-bindgen glue, one classic script),
# candor_bg.wasm (release, wasm-opt -Oz) and candor.d.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${CANDOR_TOOLS:-$HOME/.cache/candor-tools}"
OUT=target/bindgen
cargo build --release --target wasm32-unknown-unknown --lib
rm -rf "$OUT" && mkdir -p "$OUT" dist
"$TOOLS/bin/wasm-bindgen" --target no-modules --no-typescript --out-dir "$OUT" --out-name candor \
  target/wasm32-unknown-unknown/release/candor.wasm
node_modules/.bin/wasm-opt -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-multivalue --strip-debug --strip-producers \
  "$OUT/candor_bg.wasm" -o dist/candor_bg.wasm
{
  printf '/*! Candor %s | MIT OR Apache-2.0 */\n(function () {\n"use strict";\n' "$(awk -F'"' '/^version/ {print $2; exit}' Cargo.toml)"
  cat "$OUT/candor.js"
  cat src/js/loader.js
  # Consent Mode and TCF stubs: their synchronous part must run with the loader.
  cat src/js/gcm.js src/js/tcf.js
  printf '})();\n'
} > "$OUT/candor.full.js"
node_modules/.bin/terser "$OUT/candor.full.js" --compress passes=2 --mangle --comments '/^!/' --ecma 2017 -o dist/candor.js
cp src/js/candor.d.ts dist/candor.d.ts
ls -l dist
