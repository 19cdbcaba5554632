# Shared by scripts/kafka.sh, zipkin.sh and s3proxy.sh: a test service whose
# jars Maven copies from Maven Central into a cache, run as one JVM on
# loopback with a pid file. Sourced after the script sets:
#   name (for messages), label (e.g. "Kafka"), pom, cache, libs, pidfile, port.

say() { printf '%s: %s\n' "$name" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# fetch_jars MARKER: the pom's dependencies into $libs (once; atomically), failing loudly
# (CI then fails instead of skipping the tests that need the service) unless MARKER arrived.
fetch_jars() {
  local marker="$1"
  [ -f "$libs/.complete" ] && return 0
  local t0; t0="$(now)"
  say "fetching $label $version from Maven Central into $libs"
  mkdir -p "$cache"
  rm -rf "$libs.partial" && mkdir -p "$libs.partial"
  if ! mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$libs.partial" >"$cache/fetch.log" 2>&1; then
    cat "$cache/fetch.log" >&2
    say "FAILED to fetch $label $version (see above)"
    exit 1
  fi
  [ -f "$libs.partial/$marker" ] || { say "FAILED: $marker missing after fetch"; exit 1; }
  touch "$libs.partial/.complete"
  rm -rf "$libs" && mv "$libs.partial" "$libs"
  say "fetched in $(since "$t0")s ($(du -sh "$libs" | cut -f1))"
}

# wait_ready PROBE LOG TIMEOUT: polls PROBE until it succeeds; the JVM dying or
# TIMEOUT seconds passing fail the start (with the log's tail; a late one is stopped).
wait_ready() {
  local probe="$1" log="$2" timeout="$3"
  local deadline=$(( $(date +%s) + timeout ))
  until "$probe"; do
    if ! running; then
      tail -n 40 "$log" >&2
      say "FAILED: $label exited during start-up (log: $log)"
      exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 40 "$log" >&2
      say "FAILED: $label did not answer on 127.0.0.1:$port within ${timeout}s"
      stop
      exit 1
    fi
    sleep 0.3
  done
}

# SIGTERM, up to 20 s to exit, then SIGKILL; the pid file goes either way.
stop() {
  running || { rm -f "$pidfile"; return 0; }
  local pid; pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$label $pid did not stop within 20s; killing it"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  say "stopped $label on 127.0.0.1:$port"
}
