/**
 * Outbox relay benchmark: how fast one relay drains a backlog into a real
 * Kafka broker. Writes N `message.created` outbox rows (over C conversations)
 * straight into a scratch PostgreSQL database while no relay runs, then starts
 * a server with KAFKA_BROKERS and times the drain, reading the outbox.
 *
 *   bash scripts/kafka.sh start
 *   npm run bench:relay -- [--events 50000] [--conversations 200] [--brokers 127.0.0.1:19092] [--batch 500]
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
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
  strict: true,
});
const events = Number(values.events);
const conversations = Number(values.conversations);
const prefix = `bench${Date.now().toString(36)}.`;

const scratch = await createScratchDatabase(values['pg-url']);
// A server without Kafka migrates the database; it is stopped before the backlog is written.
const migrator = await startServer({ db: 'postgres', pgUrl: values['pg-url'], databaseUrl: scratch.url });
await migrator.stop();
const client = new pg.Client({ connectionString: scratch.url });
await client.connect();
try {
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
} finally {
  await client.end();
  await scratch.drop();
}
