/**
 * Database cost of the analytics and integrations consumers per event: hands
 * `--events` synthetic `message.created` events (over 50 group and 50 direct
 * conversations, 200 senders) to each consumer through `deliverBatch` in
 * batches of each `--batches` size, on a scratch PostgreSQL database over one
 * connection, and reports statements, wall time and the CPU time of that
 * connection's backend process (from /proc) per event. Run it with and without
 * event endpoints (`--endpoints`: one filtered by conversation, one for
 * registrations, one disabled) to see the integrations consumer's two cases.
 * Not pinned: compare runs on the same machine, not absolute figures.
 *
 *   npm run bench:consumers -- [--events 1000] [--batches 1,50,500] [--endpoints]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { EventEnvelope } from '@parley/protocol';
import { AnalyticsConsumer } from '../../packages/server/src/analytics/analytics-consumer.ts';
import { deliverBatch, type EventConsumer } from '../../packages/server/src/consumers/event-consumer.ts';
import { IntegrationsConsumer } from '../../packages/server/src/integrations/integrations-consumer.ts';
import type { Database, Sql } from '../../packages/server/src/store/database.ts';
import { migrate } from '../../packages/server/src/store/migrate.ts';
import { openPostgres } from '../../packages/server/src/store/postgres-database.ts';
import { createScratchDatabase } from './lib/scratch-database.ts';
import { printTable } from './lib/report.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    batches: { type: 'string', default: '1,50,500' },
    endpoints: { type: 'boolean', default: false },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const events = Number(values.events);
const uuid = () => crypto.randomUUID();

const scratch = await createScratchDatabase(values['database-url']);
const db = openPostgres(scratch.url, 1);
try {
  await migrate(db);
  const users = Array.from({ length: 200 }, uuid);
  await db.query(`INSERT INTO users (id, username, display_name, password_hash) SELECT id, id::text, 'x', 'x' FROM unnest($1::uuid[]) AS id`, [users]);
  const conversations = Array.from({ length: 100 }, uuid);
  await db.query(
    `INSERT INTO conversations (id, type, created_by, direct_key)
     SELECT id, CASE WHEN n % 2 = 0 THEN 'group' ELSE 'direct' END, $2, CASE WHEN n % 2 = 1 THEN id::text END
       FROM unnest($1::uuid[]) WITH ORDINALITY AS c(id, n)`,
    [conversations, users[0]!],
  );
  if (values.endpoints) {
    await db.query(
      `INSERT INTO event_endpoints (id, url, event_types, conversation_ids, secret, enabled) VALUES
         (gen_random_uuid(), 'https://example.test/a', '{message.created}', ARRAY[$1::uuid], 's', true),
         (gen_random_uuid(), 'https://example.test/b', '{user.registered}', NULL, 's', true),
         (gen_random_uuid(), 'https://example.test/c', '{message.created}', NULL, 's', false)`,
      [conversations[0]!],
    );
  }
  const pid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid;
  // utime + stime of the backend, in clock ticks (100 a second on Linux).
  const backendCpuMs = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  let statements = 0;
  const counting: Database = {
    ...db,
    query: ((text: string, params?: never) => (statements++, db.query(text, params))) as Sql['query'],
    transaction: (fn) => db.transaction((tx) => fn({ query: ((text: string, params?: never) => (statements++, tx.query(text, params))) as Sql['query'] })),
  };
  const message = (): EventEnvelope => {
    const conversation = conversations[Math.floor(Math.random() * conversations.length)]!;
    return {
      event_id: uuid(),
      type: 'message.created',
      schema_version: 1,
      occurred_at: new Date().toISOString(),
      key: conversation,
      payload: {
        conversation_id: conversation, message_id: uuid(), seq: 1, sender_id: users[Math.floor(Math.random() * users.length)]!,
        kind: 'message', content: { text: 'a message of about the usual length, '.repeat(3) }, created_at: new Date().toISOString(),
      },
    } as unknown as EventEnvelope;
  };
  const consumers: EventConsumer[] = [new AnalyticsConsumer(), new IntegrationsConsumer()];
  for (const consumer of consumers) {
    const rows: [string, string][] = [];
    for (const size of values.batches.split(',').map(Number)) {
      const all = Array.from({ length: events }, message);
      statements = 0;
      const cpu0 = backendCpuMs();
      const t0 = performance.now();
      for (let i = 0; i < all.length; i += size) await deliverBatch(counting, consumer, all.slice(i, i + size));
      const wall = performance.now() - t0;
      const cpu = backendCpuMs() - cpu0;
      rows.push([
        `batch ${size}`,
        `${(statements / events).toFixed(3)} stmt/event, ${((wall * 1000) / events).toFixed(0)} µs/event, DB CPU ${((cpu * 1000) / events).toFixed(0)} µs/event`,
      ]);
    }
    printTable(`${consumer.name}: ${events} message.created events${values.endpoints ? ', 3 endpoints' : ', no endpoints'}`, rows);
  }
} finally {
  await db.close();
  await scratch.drop();
}
