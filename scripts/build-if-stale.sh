#!/bin/sh
# Builds dist/ (tsc, then the single-file build) when a part is missing or older than a source
# file, package.json or package-lock.json: npm start and npm run check work in a fresh clone
# whatever npm did with the install scripts (npm ci --ignore-scripts, or an npm that leaves
# `prepare` to an allowScripts list).
set -eu
cd "$(dirname -- "$0")/.."
stale=no
for f in dist/dnsfwd.mjs dist/dnsfwd-program.mjs dist/cli/main.js dist/cli/program.js; do
	[ -f "$f" ] || stale=yes
done
if [ $stale = no ] && [ -n "$(find src package.json package-lock.json -newer dist/dnsfwd-program.mjs -type f | head -n 1)" ]; then
	stale=yes
fi
[ $stale = no ] || { npm run build && npm run bundle; }
