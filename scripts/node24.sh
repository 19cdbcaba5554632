#!/usr/bin/env bash
# Prints the bin folder of Node.js 24 LTS, the runtime Parley supports. On first
# use it fetches the official binary, which the npm registry ships inside the
# package node-linux-<arch>, into a cache folder; later calls only print.
#   export PATH="$(bash scripts/node24.sh):$PATH"
# PARLEY_NODE_VERSION and PARLEY_NODE_CACHE override the version and the cache.
set -euo pipefail
version="${PARLEY_NODE_VERSION:-24.22.3}"
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node24.sh: no node-linux package for $(uname -m); install Node.js 24 yourself" >&2; exit 1 ;;
esac
dir="${PARLEY_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}/node-$version-linux-$arch"
if [ ! -x "$dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  mkdir -p "$dir.partial"
  tar xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$dir.partial" --strip-components=1 package/bin/node package/LICENSE
  "$dir.partial/bin/node" --version >/dev/null
  rm -rf "$dir" && mv "$dir.partial" "$dir"
fi
echo "$dir/bin"
