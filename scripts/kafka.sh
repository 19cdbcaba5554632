#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft: broker and controller in one JVM)
# on loopback, for the tests. Nothing of Parley runs on the JVM; this is a
# test service like PostgreSQL and Redis.
#   bash scripts/kafka.sh start   # fetch (cached), format, start, wait until it answers
#   bash scripts/kafka.sh stop    # stop it (its data stays, so start resumes it)
#   bash scripts/kafka.sh clean   # stop it and delete its data
#   bash scripts/kafka.sh fetch   # only fetch the jars into the cache
# The jars come from Maven Central through deploy/kafka/pom.xml into
# ~/.cache/parley/kafka-<version>/libs, and the broker starts the way Kafka's
# bin/kafka-storage.sh and bin/kafka-server-start.sh do: java -cp 'libs/*'.
# Environment (all optional):
#   KAFKA_PORT (19092) and KAFKA_CONTROLLER_PORT (19093): loopback ports;
#   KAFKA_STATE_DIR: data, log and pid folder (default /tmp/parley-kafka-<port>),
#     so a test can run a private broker beside the shared one;
#   PARLEY_KAFKA_CACHE: cache root (default ~/.cache/parley);
#   KAFKA_HEAP (512m), KAFKA_START_TIMEOUT (90 seconds).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
pom="$repo/deploy/kafka/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
port="${KAFKA_PORT:-19092}"
cport="${KAFKA_CONTROLLER_PORT:-19093}"
state="${KAFKA_STATE_DIR:-${TMPDIR:-/tmp}/parley-kafka-$port}"
cache="${PARLEY_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}/kafka-$version"
libs="$cache/libs"
pidfile="$state/broker.pid"

name=kafka.sh
label=Kafka
# shellcheck source=lib/jvm-service.sh
source "$repo/scripts/lib/jvm-service.sh"

fetch() { fetch_jars "kafka_2.13-$version.jar"; }

# Answers 0 when the broker returns a Metadata (v4) response that lists at
# least one broker, i.e. it is registered and will take produce requests, not
# merely listening. Plain node, no packages, so it works before `npm ci`.
metadata_ok() {
  node -e '
    const net = require("node:net");
    const client = Buffer.from("kafka.sh");
    const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length + 4 + 1);
    let o = 0;
    o = body.writeInt16BE(3, o);          // api key: Metadata
    o = body.writeInt16BE(4, o);          // version 4 (non-flexible)
    o = body.writeInt32BE(1, o);          // correlation id
    o = body.writeInt16BE(client.length, o); o += client.copy(body, o);
    o = body.writeInt32BE(-1, o);         // all topics
    body.writeInt8(0, o);                 // allow_auto_topic_creation: false
    const len = Buffer.alloc(4); len.writeInt32BE(body.length);
    const s = net.connect(Number(process.argv[1]), "127.0.0.1");
    let got = Buffer.alloc(0);
    const fail = () => { s.destroy(); process.exit(1); };
    s.setTimeout(3000, fail); s.on("error", fail);
    s.on("connect", () => s.write(Buffer.concat([len, body])));
    s.on("data", (d) => {
      got = Buffer.concat([got, d]);
      if (got.length < 16) return;
      // size, correlation id, throttle_time_ms, then the brokers array length
      process.exit(got.readInt32BE(4) === 1 && got.readInt32BE(12) >= 1 ? 0 : 1);
    });
  ' "$port" 2>/dev/null
}

write_config() {
  mkdir -p "$state/data"
  cat >"$state/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$state/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  cat >"$state/log4j2.properties" <<EOF
rootLogger.level=WARN
rootLogger.appenderRef.out.ref=out
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.server.name=kafka.server.KafkaRaftServer
logger.server.level=INFO
EOF
}

java_run() {
  java -Xmx"${KAFKA_HEAP:-512m}" -Xms128m -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$state/log4j2.properties" -cp "$libs/*" "$@"
}

start() {
  local t0; t0="$(now)"
  fetch
  if running; then
    say "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"
    return 0
  fi
  write_config
  if [ ! -f "$state/data/meta.properties" ]; then
    # The id is the last line printed (a warning logged on the way must not become part of it).
    local id; id="$(java_run kafka.tools.StorageTool random-uuid | tail -n 1)"
    java_run kafka.tools.StorageTool format -t "$id" -c "$state/server.properties" >"$state/format.log" 2>&1 \
      || { cat "$state/format.log" >&2; say "FAILED to format $state/data"; exit 1; }
  fi
  nohup java -Xmx"${KAFKA_HEAP:-512m}" -Xms128m -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$state/log4j2.properties" -cp "$libs/*" \
    kafka.Kafka "$state/server.properties" >>"$state/broker.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_ready metadata_ok "$state/broker.log" "${KAFKA_START_TIMEOUT:-90}"
  say "Kafka $version up on 127.0.0.1:$port (pid $(cat "$pidfile"), data $state) in $(since "$t0")s"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  clean) stop; rm -rf "$state" ;;
  fetch) fetch ;;
  *) echo "usage: bash scripts/kafka.sh start|stop|clean|fetch" >&2; exit 2 ;;
esac
