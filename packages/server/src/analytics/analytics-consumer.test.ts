import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@parley/protocol';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from '../../test/support/databases.ts';
import { countingDatabase } from '../../test/support/counting-database.ts';
import { seedGroup } from '../../test/support/seed.ts';
import { deliver, deliverBatch } from '../consumers/event-consumer.ts';
import { AnalyticsConsumer } from './analytics-consumer.ts';

const uuid = () => crypto.randomUUID();

function event(type: string, occurredAt: string, payload: Record<string, unknown>): EventEnvelope {
  return { event_id: uuid(), type, schema_version: 1, occurred_at: occurredAt, key: String(payload.conversation_id ?? payload.user_id), payload } as EventEnvelope;
}

/** The aggregates and active users of the file's two days, comparable across runs. */
async function aggregates(db: TestDatabase['db']) {
  const daily = await db.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, metric, value::int AS value FROM analytics_daily ORDER BY day, metric`);
  const active = await db.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, user_id FROM analytics_active_users ORDER BY day, user_id`);
  return { daily, active };
}

for (const kind of ['pglite', 'postgres'] as DatabaseKind[]) {
  const enabled = kind === 'pglite' || TEST_DATABASE_URL !== '';
  (enabled ? describe : describe.skip)(enabled ? `analytics consumer (${kind})` : `analytics consumer (${kind}; skipped: needs TEST_DATABASE_URL)`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await makeDatabase(kind);
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('a batch gives the aggregates of its events handled one by one, in one statement besides the dedupe', async () => {
      const { db } = database;
      const group = await seedGroup(db, 3);
      const [a, b, c] = group.ids as [string, string, string];
      const direct = uuid();
      await db.query(`INSERT INTO conversations (id, type, created_by, direct_key) VALUES ($1, 'direct', $2, $3)`, [direct, a, `${direct}:x`]);
      const otherGroup = (await seedGroup(db, 1)).conversation;
      const gone = uuid(); // a conversation with no row: counted as 'unknown'
      const d1 = '2026-03-01T10:00:00.000Z';
      const d2 = '2026-03-02T00:00:01.000Z';
      const msg = (at: string, conversation: string, sender: string) =>
        event('message.created', at, { conversation_id: conversation, message_id: uuid(), sender_id: sender, seq: 1, kind: 'message', content: { text: 'x' } });
      const events = [
        msg(d1, group.conversation, a),
        msg(d1, direct, a),
        msg(d1, group.conversation, b),
        event('user.registered', d1, { user_id: uuid(), username: 'n', display_name: 'n' }),
        event('call.ended', d1, { conversation_id: direct, call_id: uuid(), duration_ms: 61_000 }),
        event('call.ended', d1, { conversation_id: direct, call_id: uuid(), duration_ms: 0 }),
        msg(d1, otherGroup, b),
        msg(d2, direct, a),
        msg(d2, group.conversation, c),
        msg(d2, gone, c),
        event('call.ended', d2, { conversation_id: group.conversation, call_id: uuid(), duration_ms: 5_000 }),
        event('call.ended', d2, { conversation_id: group.conversation, call_id: uuid(), duration_ms: 7_000 }),
        event('user.registered', d2, { user_id: uuid(), username: 'm', display_name: 'm' }),
        event('user.registered', d2, { user_id: uuid(), username: 'o', display_name: 'o' }),
        msg(d2, group.conversation, c),
        msg(d2, group.conversation, b),
      ];
      const reset = async () => {
        await db.query('DELETE FROM analytics_daily');
        await db.query('DELETE FROM analytics_active_users');
        // b was already active on day 2 before the batch: not counted again.
        await db.query(`INSERT INTO analytics_active_users (day, user_id) VALUES ('2026-03-02', $1)`, [b]);
        await db.query(`INSERT INTO analytics_daily (day, metric, value) VALUES ('2026-03-02', 'active_users', 1)`);
      };

      await reset();
      const oneByOne = new AnalyticsConsumer();
      for (const e of events) await deliver(db, oneByOne, e);
      const expected = await aggregates(db);

      await reset();
      const counted = countingDatabase(db);
      // The same events under new ids (the first ids are marked handled).
      const batch = events.map((e) => ({ ...e, event_id: uuid() }));
      expect(await deliverBatch(counted.db, new AnalyticsConsumer(), batch)).toBe(batch.length);
      expect(counted.statements).toHaveLength(2); // the dedupe rows, then the consumer's one statement
      const got = await aggregates(db);
      expect(got).toEqual(expected);
      expect(got.daily).toEqual([
        { day: '2026-03-01', metric: 'active_users', value: 2 },
        { day: '2026-03-01', metric: 'call_ms', value: 61_000 },
        { day: '2026-03-01', metric: 'calls', value: 2 },
        { day: '2026-03-01', metric: 'messages.direct', value: 1 },
        { day: '2026-03-01', metric: 'messages.group', value: 3 },
        { day: '2026-03-01', metric: 'new_users', value: 1 },
        { day: '2026-03-02', metric: 'active_users', value: 3 },
        { day: '2026-03-02', metric: 'call_ms', value: 12_000 },
        { day: '2026-03-02', metric: 'calls', value: 2 },
        { day: '2026-03-02', metric: 'messages.direct', value: 1 },
        { day: '2026-03-02', metric: 'messages.group', value: 3 },
        { day: '2026-03-02', metric: 'messages.unknown', value: 1 },
        { day: '2026-03-02', metric: 'new_users', value: 2 },
      ]);

      // A repeated batch counts nothing again.
      expect(await deliverBatch(db, new AnalyticsConsumer(), batch)).toBe(0);
      expect(await aggregates(db)).toEqual(got);
    });

    it('a batch of no analytics events writes nothing', async () => {
      const counted = countingDatabase(database.db);
      const e = event('message.edited', '2026-03-03T00:00:00.000Z', { conversation_id: uuid(), message_id: uuid() });
      expect(await deliverBatch(counted.db, new AnalyticsConsumer(), [e])).toBe(1);
      expect(counted.statements).toHaveLength(1);
    });
  });
}
