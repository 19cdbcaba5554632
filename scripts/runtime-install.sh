#!/usr/bin/env bash
# Lays out Parley's runtime in DEST the way the production image does, from the
# built workspaces (run `npm run build` first): the server and protocol
# packages as `npm pack` makes them, their production dependencies installed
# from the repository's lockfile (`npm ci --omit=dev`), and the built web client
# in DEST/web. Nothing else: no sources, tests, dev dependencies or caches.
#   bash scripts/runtime-install.sh /app
#   cd /app && WEB_ROOT=/app/web node packages/server/dist/main.js
set -euo pipefail
dest="${1:?usage: runtime-install.sh DEST}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
for built in packages/protocol/dist/index.js packages/server/dist/main.js apps/web/dist/index.html; do
  [ -f "$repo/$built" ] || { echo "runtime-install: $built is missing: run npm run build first" >&2; exit 1; }
done

mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
pack="$(mktemp -d)"
trap 'rm -rf "$pack"' EXIT
(cd "$repo" && npm pack --silent --workspace @parley/protocol --workspace @parley/server --pack-destination "$pack" >/dev/null)
for name in protocol server; do
  rm -rf "$dest/packages/$name" && mkdir -p "$dest/packages/$name"
  tar xzf "$pack/parley-$name-"*.tgz -C "$dest/packages/$name" --strip-components=1
done
# The root manifest and lockfile pin every version the tests ran with; the
# workspaces absent here (sdk, web, bench) are not installed.
cp "$repo/package.json" "$repo/package-lock.json" "$dest/"
(cd "$dest" && npm ci --omit=dev --workspace @parley/server --no-audit --no-fund --loglevel=error)
rm -rf "$dest/web" && cp -R "$repo/apps/web/dist" "$dest/web"
