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

say() { printf 's3proxy.sh: %s\n' "$*" >&2; }

fetch() {
  [ -f "$libs/.complete" ] && return 0
  say "fetching S3Proxy $version jars from Maven Central into $libs"
  mkdir -p "$cache"
  rm -rf "$libs.partial" && mkdir -p "$libs.partial"
  # A failed fetch must fail loudly: CI then fails instead of skipping the S3 tests.
  if ! mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$libs.partial" >"$cache/fetch.log" 2>&1; then
    cat "$cache/fetch.log" >&2
    say "FAILED to fetch the S3Proxy $version jars (see above)"
    exit 1
  fi
  [ -f "$libs.partial/s3proxy-$version.jar" ] || { say "FAILED: s3proxy-$version.jar missing after fetch"; exit 1; }
  touch "$libs.partial/.complete"
  rm -rf "$libs" && mv "$libs.partial" "$libs"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

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
  local deadline=$(( $(date +%s) + ${S3PROXY_START_TIMEOUT:-60} ))
  until answers; do
    if ! running; then tail -n 40 "$state/s3proxy.log" >&2; say "FAILED: S3Proxy exited during start-up"; exit 1; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then tail -n 40 "$state/s3proxy.log" >&2; say "FAILED: no answer on 127.0.0.1:$port"; stop; exit 1; fi
    sleep 0.3
  done
  say "S3Proxy $version up on http://127.0.0.1:$port (pid $(cat "$pidfile"), objects in $state/data)"
}

stop() {
  running || { rm -f "$pidfile"; return 0; }
  local pid; pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  say "stopped S3Proxy on 127.0.0.1:$port"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  clean) stop; rm -rf "$state" ;;
  fetch) fetch ;;
  *) echo "usage: bash scripts/s3proxy.sh start|stop|clean|fetch" >&2; exit 2 ;;
esac
