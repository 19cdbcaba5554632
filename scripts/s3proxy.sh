#!/usr/bin/env bash
# S3Proxy, an S3-compatible server, on loopback for the tests of the S3
# storage adapter (attachments, scaled tier). Its backend is jclouds'
# "filesystem": buckets are folders and objects plain files under the state
# folder. Nothing of Parley runs on the JVM; this is a test service.
#   bash scripts/s3proxy.sh start   # fetch (cached), start, wait until it answers
#   bash scripts/s3proxy.sh stop    # stop it (its objects stay)
#   bash scripts/s3proxy.sh clean   # stop it and delete its objects
#   bash scripts/s3proxy.sh fetch   # only fetch the jars into the cache
# The jars come from Maven Central through deploy/s3proxy/pom.xml into
# ~/.cache/parley/s3proxy-<version>/libs; it starts with
# java -cp 'libs/*' org.gaul.s3proxy.Main --properties <state>/s3proxy.conf.
# Credentials: the DEVELOPMENT-ONLY key pair below (access key
# "parley-dev", secret "parley-dev-secret"), checked with AWS signatures v2/v4.
# Environment (all optional):
#   S3PROXY_PORT (19080): loopback port;
#   S3PROXY_STATE_DIR: objects, log and pid (default /tmp/parley-s3proxy-<port>);
#   PARLEY_S3PROXY_CACHE: cache root (default ~/.cache/parley);
#   S3PROXY_HEAP (256m), S3PROXY_START_TIMEOUT (60 seconds).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
pom="$repo/deploy/s3proxy/pom.xml"
version="$(sed -n 's:.*<s3proxy.version>\(.*\)</s3proxy.version>.*:\1:p' "$pom")"
port="${S3PROXY_PORT:-19080}"
state="${S3PROXY_STATE_DIR:-${TMPDIR:-/tmp}/parley-s3proxy-$port}"
cache="${PARLEY_S3PROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}/s3proxy-$version"
libs="$cache/libs"
pidfile="$state/s3proxy.pid"

name=s3proxy.sh
label=S3Proxy
# shellcheck source=lib/jvm-service.sh
source "$repo/scripts/lib/jvm-service.sh"

fetch() { fetch_jars "s3proxy-$version.jar"; }

# Any HTTP answer from the S3 endpoint (an anonymous request is refused with 403) means it is serving.
answers() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null | grep -q '^[1-5]'; }

start() {
  fetch
  if running; then
    say "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"
    return 0
  fi
  mkdir -p "$state/data"
  cat >"$state/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
# DEVELOPMENT-ONLY credentials for a loopback test server.
s3proxy.identity=parley-dev
s3proxy.credential=parley-dev-secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$state/data
CONF
  nohup java -Xmx"${S3PROXY_HEAP:-256m}" -XX:+UseSerialGC -Djava.awt.headless=true \
    -DLOG_LEVEL=warn -cp "$libs/*" org.gaul.s3proxy.Main --properties "$state/s3proxy.conf" \
    >>"$state/s3proxy.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_ready answers "$state/s3proxy.log" "${S3PROXY_START_TIMEOUT:-60}"
  say "S3Proxy $version up on http://127.0.0.1:$port (pid $(cat "$pidfile"), objects in $state/data)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  clean) stop; rm -rf "$state" ;;
  fetch) fetch ;;
  *) echo "usage: bash scripts/s3proxy.sh start|stop|clean|fetch" >&2; exit 2 ;;
esac
