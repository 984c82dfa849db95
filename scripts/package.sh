#!/usr/bin/env bash
# Turns dist/ (written by build.sh) into the npm package: dist/package.json
# from the template pkg-config/package.json with the version from Cargo.toml,
# the config schema as schema.json, the package's README and the licences,
# the built-in UI strings as locales/, and the
# QA kit as testing/ when src/js/testing/ exists. Then it packs the tarball
# into target/package/ with npm pack (offline: nothing is fetched or published)
# and lists what went in.
set -euo pipefail
cd "$(dirname "$0")/.."
for f in candor.js candor.mjs candor_bg.wasm candor.d.ts candor.d.mts; do
  [ -f "dist/$f" ] || { echo "package.sh: dist/$f is missing: run make build first" >&2; exit 1; }
done
VERSION="$(awk -F'"' '/^version/ {print $2; exit}' Cargo.toml)"
cp pkg-config/candor.config.schema.json dist/schema.json
cp pkg-config/report.schema.json pkg-config/receipt.schema.json dist/
cp pkg-config/README.md LICENSE-MIT LICENSE-APACHE dist/
rm -rf dist/locales dist/testing
cp -r pkg-config/locales dist/locales
if [ -d src/js/testing ]; then cp -r src/js/testing dist/testing; fi
VERSION="$VERSION" node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync("pkg-config/package.json", "utf8"));
  pkg.version = process.env.VERSION;
  if (fs.existsSync("dist/testing/index.js")) {
    // candor/testing: ESM and CommonJS, each with its types. Playwright is
    // brought by the user (optional peers: playwright-core suffices for the helpers).
    pkg.exports["./testing"] = {
      import: { types: "./testing/index.d.mts", default: "./testing/index.mjs" },
      require: { types: "./testing/index.d.ts", default: "./testing/index.js" },
    };
    pkg.files.push("testing/");
    pkg.peerDependencies = { "@playwright/test": ">=1.40", "playwright-core": ">=1.40" };
    pkg.peerDependenciesMeta = { "@playwright/test": { optional: true }, "playwright-core": { optional: true } };
  }
  fs.writeFileSync("dist/package.json", JSON.stringify(pkg, null, 2) + "\n");
'
mkdir -p target/package
rm -f target/package/candor-*.tgz
(cd dist && npm pack --offline --ignore-scripts --pack-destination ../target/package --json) > target/package/pack.json
node -e '
  const [info] = JSON.parse(require("fs").readFileSync("target/package/pack.json", "utf8"));
  for (const f of info.files) console.log(String(f.size).padStart(8), f.path);
  console.log(`target/package/${info.filename}: ${info.entryCount} files, ${info.size} bytes packed, ${info.unpackedSize} unpacked`);
'
