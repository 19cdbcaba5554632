/**
 * Outbox relay benchmark against a real Kafka broker, in one of two modes:
 * - drain (default): writes N `message.created` outbox rows (over C
 *   conversations) straight into a scratch PostgreSQL database while no relay
 *   runs, then starts a server with KAFKA_BROKERS and times the drain;
 * - steady (`--rate R`): starts the server first, then commits R outbox rows a
 *   second (one INSERT every 10 ms) for `--seconds`, and reports each row's
 *   lag from its commit (`occurred_at`) to Kafka's acknowledgement
 *   (`relayed_at`, set once the broker acked the batch): the relay's share of
 *   the commit → Kafka lag at a rate one chat server on this machine cannot
 *   store by itself.
 * The server runs with CONSUMERS_IN_PROCESS=off: only the relay reads the outbox.
 *
 *   bash scripts/kafka.sh start
 *   npm run bench:relay -- [--events 50000] [--conversations 200] [--brokers 127.0.0.1:19092] [--batch 500]
 *   npm run bench:relay -- --rate 10000 [--seconds 20]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createScratchDatabase } from './lib/scratch-database.ts';
import { startServer } from './lib/server-process.ts';
import { printTable, writeResult } from './lib/report.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    conversations: { type: 'string', default: '200' },
    brokers: { type: 'string', default: '127.0.0.1:19092' },
    batch: { type: 'string', default: '500' },
    rate: { type: 'string' },
    seconds: { type: 'string', default: '20' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
  strict: true,
});
const events = Number(values.events);
const conversations = Number(values.conversations);
const prefix = `bench${Date.now().toString(36)}.`;
/** N rows shaped like a real message.created (about 300 bytes), over C conversations: ($1, $2) = (N, C). */
const SHAPED_ROWS = `INSERT INTO outbox (event_id, type, schema_version, topic, key, payload)
  SELECT gen_random_uuid(), 'message.created', 1, 'messages', c.id, jsonb_build_object(
           'conversation_id', c.id, 'seq', g + 1, 'message_id', gen_random_uuid(), 'sender_id', c.id,
           'message', jsonb_build_object('type', 'text', 'text', repeat('x', 80), 'client_msg_id', g::text, 'attachments', '[]'::jsonb),
           'created_at', now())
    FROM generate_series(0, $1 - 1) AS g
    JOIN (SELECT i, gen_random_uuid() AS id FROM generate_series(0, $2 - 1) AS i) c ON c.i = g % $2`;

const scratch = await createScratchDatabase(values['pg-url']);
// A server without Kafka migrates the database; it is stopped before the backlog is written.
const migrator = await startServer({ db: 'postgres', pgUrl: values['pg-url'], databaseUrl: scratch.url });
await migrator.stop();
const client = new pg.Client({ connectionString: scratch.url });
await client.connect();
try {
  if (values.rate) {
    await steady(Number(values.rate), Number(values.seconds));
  } else {
    await drain();
  }
} finally {
  await client.end();
  await scratch.drop();
}

async function drain(): Promise<void> {
  // Payloads shaped like a real message.created (about 300 bytes).
  await client.query(
    `INSERT INTO outbox (event_id, type, schema_version, topic, key, payload)
     SELECT gen_random_uuid(), 'message.created', 1, 'messages', c.id, jsonb_build_object(
              'conversation_id', c.id, 'seq', (g / $2) + 1, 'message_id', gen_random_uuid(), 'sender_id', c.id,
              'message', jsonb_build_object('type', 'text', 'text', repeat('x', 80), 'client_msg_id', g::text, 'attachments', '[]'::jsonb),
              'created_at', now())
       FROM generate_series(0, $1 - 1) AS g
       JOIN (SELECT i, gen_random_uuid() AS id FROM generate_series(0, $2 - 1) AS i) c ON c.i = g % $2
      ORDER BY g`,
    [events, conversations],
  );
  const backlog = async () => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL')).rows[0]!.n;
  const t0 = performance.now();
  const server = await startServer({
    db: 'postgres',
    pgUrl: values['pg-url'],
    databaseUrl: scratch.url,
    env: { KAFKA_BROKERS: values.brokers, KAFKA_TOPIC_PREFIX: prefix, OUTBOX_RELAY_BATCH: values.batch },
  });
  const started = performance.now();
  let left = events;
  while (left > 0) {
    await new Promise((r) => setTimeout(r, 50));
    left = await backlog();
  }
  const drained = performance.now();
  const logs = server.logs();
  await server.stop();
  const seconds = (drained - started) / 1000;
  const result = {
    events,
    conversations,
    batch: Number(values.batch),
    server_start_s: (started - t0) / 1000,
    drain_s: seconds,
    events_per_s: events / seconds,
    warnings: logs.warnings,
    errors: logs.errors,
  };
  printTable('Outbox relay → Kafka', [
    ['events / conversations / batch', `${events} / ${conversations} / ${values.batch}`],
    ['drain time after server start (s)', seconds.toFixed(2)],
    ['relayed events/s', Math.round(result.events_per_s)],
    ['server log warnings / errors', `${logs.warnings} / ${logs.errors}`],
  ]);
  console.log(`written to ${await writeResult('relay', 'postgres', result)}`);
}

async function steady(rate: number, seconds: number): Promise<void> {
  const server = await startServer({
    db: 'postgres',
    pgUrl: values['pg-url'],
    databaseUrl: scratch.url,
    env: { KAFKA_BROKERS: values.brokers, KAFKA_TOPIC_PREFIX: prefix, OUTBOX_RELAY_BATCH: values.batch, CONSUMERS_IN_PROCESS: 'off' },
  });
  // Let the relay take its lease and the producer connect before the clock starts.
  await client.query(SHAPED_ROWS, [1, 1]);
  for (let waited = 0; waited < 30_000; waited += 50) {
    if ((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL')).rows[0]!.n === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await client.query('DELETE FROM outbox');
  const start = performance.now();
  let written = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate) - written;
    if (due > 0) {
      await client.query(SHAPED_ROWS, [due, conversations]);
      written += due;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const wrote = (performance.now() - start) / 1000;
  for (let waited = 0; waited < 120_000; waited += 100) {
    if ((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL')).rows[0]!.n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const logs = server.logs();
  await server.stop();
  const [lag] = (
    await client.query<{ relayed: number; p50: number; p95: number; p99: number; max: number }>(
      `SELECT count(*) FILTER (WHERE relayed_at IS NOT NULL)::int AS relayed,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
         FROM (SELECT relayed_at, extract(epoch FROM relayed_at - occurred_at) * 1000 AS ms FROM outbox) t`,
    )
  ).rows;
  const result = { rate, seconds, written, written_per_s: written / wrote, conversations, batch: Number(values.batch), lag_ms: lag, warnings: logs.warnings, errors: logs.errors };
  printTable(`Outbox relay → Kafka at ${rate} events/s`, [
    ['events written / per s', `${written} / ${Math.round(written / wrote)}`],
    ['relayed', `${lag!.relayed}`],
    ['commit → Kafka ack p50 / p95 / p99 / max (ms)', [lag!.p50, lag!.p95, lag!.p99, lag!.max].map((v) => Math.round(Number(v))).join(' / ')],
    ['server log warnings / errors', `${logs.warnings} / ${logs.errors}`],
  ]);
  console.log(`written to ${await writeResult('relay-steady', 'postgres', result)}`);
}
