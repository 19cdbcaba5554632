#!/usr/bin/env bash
# Zipkin's server on loopback with in-memory storage: the trace backend the
# tracing tests export to and query. Nothing of Parley runs on the JVM; this is
# a test service like PostgreSQL, Redis and Kafka.
#   bash scripts/zipkin.sh start   # fetch (cached), start, wait until /health says UP
#   bash scripts/zipkin.sh stop    # stop it (in-memory: its traces go with it)
#   bash scripts/zipkin.sh fetch   # only fetch the jar into the cache
# The jar comes from Maven Central through deploy/zipkin/pom.xml into
# ~/.cache/parley/zipkin-<version>/libs (io.zipkin:zipkin-server, `exec` jar).
# Environment (all optional):
#   ZIPKIN_PORT (19411): loopback port; the API is http://127.0.0.1:<port>/api/v2/,
#     spans are POSTed to /api/v2/spans;
#   ZIPKIN_STATE_DIR: log and pid folder (default /tmp/parley-zipkin-<port>);
#   PARLEY_ZIPKIN_CACHE: cache root (default ~/.cache/parley);
#   ZIPKIN_HEAP (256m), ZIPKIN_START_TIMEOUT (90 seconds).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
pom="$repo/deploy/zipkin/pom.xml"
version="$(sed -n 's:.*<zipkin.version>\(.*\)</zipkin.version>.*:\1:p' "$pom")"
port="${ZIPKIN_PORT:-19411}"
state="${ZIPKIN_STATE_DIR:-${TMPDIR:-/tmp}/parley-zipkin-$port}"
cache="${PARLEY_ZIPKIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}/zipkin-$version"
libs="$cache/libs"
jar="$libs/zipkin-server-$version-exec.jar"
pidfile="$state/zipkin.pid"

name=zipkin.sh
label=Zipkin
# shellcheck source=lib/jvm-service.sh
source "$repo/scripts/lib/jvm-service.sh"

fetch() { fetch_jars "zipkin-server-$version-exec.jar"; }

healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"UP"'; }

start() {
  local t0; t0="$(now)"
  fetch
  if running; then
    say "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"
    return 0
  fi
  mkdir -p "$state"
  # In-memory storage, no self-tracing; Armeria listens on loopback only.
  STORAGE_TYPE=mem SELF_TRACING_ENABLED=false \
    nohup java -Xmx"${ZIPKIN_HEAP:-256m}" -Xms64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -jar "$jar" --armeria.ports[0].port="$port" --armeria.ports[0].ip=127.0.0.1 --armeria.ports[0].protocols=http \
    --logging.level.root=WARN >>"$state/zipkin.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_ready healthy "$state/zipkin.log" "${ZIPKIN_START_TIMEOUT:-90}"
  say "Zipkin $version up on http://127.0.0.1:$port (pid $(cat "$pidfile")) in $(since "$t0")s"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  fetch) fetch ;;
  *) echo "usage: bash scripts/zipkin.sh start|stop|fetch" >&2; exit 2 ;;
esac
