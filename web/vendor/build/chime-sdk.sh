#!/bin/sh
# Rebuilds web/vendor/amazon-chime-sdk.module.js: amazon-chime-sdk-js has no browser build, so this installs the
# pinned SDK and rollup with npm in a temporary folder and bundles every export of the SDK into one ES module.
# Development time only; the result is committed. Called by `make vendor` with the versions the Makefile pins:
#   chime-sdk.sh <amazon-chime-sdk-js> <rollup> <plugin-node-resolve> <plugin-commonjs> <plugin-json> <plugin-terser>
set -eu
[ $# -eq 6 ] || { sed -n '2,6p' "$0" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
vendor=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
printf '{ "name": "chime-sdk-bundle", "private": true }\n' >package.json
# The committed lock pins the SDK's dependencies too (their ranges would drift); npm keeps every locked version that
# still fits and records the new ones. Its entries name no registry (--omit-lockfile-registry-resolved).
[ ! -f "$here/package-lock.json" ] || cp "$here/package-lock.json" .
# --ignore-scripts: no package's install script runs (the bundle needs none).
npm install --silent --no-audit --no-fund --ignore-scripts --save-exact --omit-lockfile-registry-resolved \
  "amazon-chime-sdk-js@$1" "rollup@$2" "@rollup/plugin-node-resolve@$3" "@rollup/plugin-commonjs@$4" \
  "@rollup/plugin-json@$5" "@rollup/plugin-terser@$6"
# The SDK's entry point is CommonJS: rollup cannot see its names through `export *`, so the entry names them all.
node -e '
const names = Object.keys(require("amazon-chime-sdk-js")).filter((n) => n !== "__esModule" && n !== "default").sort();
require("fs").writeFileSync("entry.js", `export {\n  ${names.join(",\n  ")},\n} from "amazon-chime-sdk-js";\n`);
console.log(`${names.length} exports`);
'
cp "$here/rollup.config.mjs" .
mkdir out
npx --no-install rollup --config rollup.config.mjs --silent
cp out/amazon-chime-sdk.module.js out/LICENSE-amazon-chime-sdk-js-bundled "$vendor/"
cp package-lock.json "$here/package-lock.json"
cp node_modules/amazon-chime-sdk-js/LICENSE "$vendor/LICENSE-amazon-chime-sdk-js"
cp node_modules/amazon-chime-sdk-js/NOTICE "$vendor/NOTICE-amazon-chime-sdk-js"
bundle="$vendor/amazon-chime-sdk.module.js"
echo "$(wc -c <"$bundle") bytes, $(gzip -9 -c "$bundle" | wc -c) gzipped"
sha256sum "$bundle"
