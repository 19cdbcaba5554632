import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@parley/protocol';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from '../../test/support/databases.ts';
import { countingDatabase } from '../../test/support/counting-database.ts';
import { deliver, deliverBatch } from '../consumers/event-consumer.ts';
import { IntegrationsConsumer } from './integrations-consumer.ts';

const uuid = () => crypto.randomUUID();

function event(type: string, payload: Record<string, unknown>): EventEnvelope {
  return { event_id: uuid(), type, schema_version: 1, occurred_at: new Date().toISOString(), key: String(payload.conversation_id ?? payload.user_id), payload } as EventEnvelope;
}

for (const kind of ['pglite', 'postgres'] as DatabaseKind[]) {
  const enabled = kind === 'pglite' || TEST_DATABASE_URL !== '';
  (enabled ? describe : describe.skip)(enabled ? `integrations consumer (${kind})` : `integrations consumer (${kind}; skipped: needs TEST_DATABASE_URL)`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await makeDatabase(kind);
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('a batch queues exactly the deliveries of its events handled one by one, in two statements besides the dedupe', async () => {
      const { db } = database;
      const [c1, c2, c3] = [uuid(), uuid(), uuid()];
      const endpoints: Record<string, string> = {};
      const endpoint = async (name: string, types: string[], conversations: string[] | null, on = true) => {
        endpoints[name] = uuid();
        await db.query(
          `INSERT INTO event_endpoints (id, url, event_types, conversation_ids, secret, enabled) VALUES ($1, 'https://example.test/h', $2, $3, 's', $4)`,
          [endpoints[name]!, types, conversations, on],
        );
      };
      await endpoint('all-messages', ['message.created', 'message.edited'], null);
      await endpoint('c1-messages', ['message.created'], [c1]);
      await endpoint('c2-c3-everything', ['message.created', 'call.ended', 'user.registered'], [c2, c3]);
      await endpoint('users', ['user.registered'], null);
      await endpoint('disabled', ['message.created', 'user.registered', 'call.ended'], null, false);
      const msg = (conversation: string) => event('message.created', { conversation_id: conversation, message_id: uuid(), sender_id: uuid(), seq: 1 });
      const events = [
        msg(c1), // 0
        msg(c2), // 1
        event('message.edited', { conversation_id: c3, message_id: uuid() }), // 2
        event('user.registered', { user_id: uuid(), username: 'n', display_name: 'n' }), // 3: no conversation
        event('call.ended', { conversation_id: c3, call_id: 'x', duration_ms: 0 }), // 4
        event('call.ended', { conversation_id: c1, call_id: 'y', duration_ms: 0 }), // 5: nobody wants it
        event('message.deleted', { conversation_id: c1, message_id: uuid() }), // 6: nobody subscribes
        msg(c1), // 7
      ];
      const index = new Map(events.map((e, i) => [e.event_id, i]));
      const names = new Map(Object.entries(endpoints).map(([name, id]) => [id, name]));
      const queued = async () =>
        (await db.query<{ endpoint_id: string; event_id: string; event_type: string; body: string }>(
          'SELECT endpoint_id, event_id, event_type, body FROM event_deliveries',
        ))
          .map((d) => {
            expect(JSON.parse(d.body)).toEqual(events[index.get(d.event_id)!]);
            return `${index.get(d.event_id)} ${d.event_type} ${names.get(d.endpoint_id)}`;
          })
          .sort();
      const reset = async () => {
        await db.query('DELETE FROM event_deliveries');
        await db.query(`DELETE FROM consumer_events WHERE consumer = 'integrations'`);
      };

      let wakes = 0;
      const consumer = new IntegrationsConsumer(() => wakes++);
      for (const e of events) await deliver(db, consumer, e);
      const oneByOne = await queued();
      expect(oneByOne).toEqual([
        '0 message.created all-messages',
        '0 message.created c1-messages',
        '1 message.created all-messages',
        '1 message.created c2-c3-everything',
        '2 message.edited all-messages',
        '3 user.registered users',
        '4 call.ended c2-c3-everything',
        '7 message.created all-messages',
        '7 message.created c1-messages',
      ]);

      await reset();
      wakes = 0;
      const counted = countingDatabase(db);
      expect(await deliverBatch(counted.db, consumer, events)).toBe(events.length);
      // The dedupe rows, the wanted types, the deliveries; only the wanted events' bodies are sent.
      expect(counted.statements).toHaveLength(3);
      expect([...(counted.statements[2]!.params[0] as string[])].sort()).toEqual([0, 1, 2, 3, 4, 5, 7].map((i) => events[i]!.event_id).sort());
      expect(await queued()).toEqual(oneByOne);
      expect(wakes).toBe(1);

      // A repeated batch queues nothing again, and wakes nobody.
      expect(await deliverBatch(db, consumer, events)).toBe(0);
      expect(await queued()).toEqual(oneByOne);
      expect(wakes).toBe(1);
      await reset();
      await db.query('DELETE FROM event_endpoints');
    });

    it('a batch that no enabled endpoint subscribes to costs one statement and sends no bodies', async () => {
      const { db } = database;
      await db.query(
        `INSERT INTO event_endpoints (id, url, event_types, conversation_ids, secret, enabled) VALUES
           ($1, 'https://example.test/h', '{user.registered}', NULL, 's', true),
           ($2, 'https://example.test/h', '{message.created}', NULL, 's', false)`,
        [uuid(), uuid()],
      );
      const counted = countingDatabase(db);
      const events = [event('message.created', { conversation_id: uuid(), message_id: uuid(), sender_id: uuid(), seq: 1 })];
      expect(await deliverBatch(counted.db, new IntegrationsConsumer(), events)).toBe(1);
      expect(counted.statements).toHaveLength(2); // the dedupe rows, the wanted types
      expect(JSON.stringify(counted.statements.map((s) => s.params))).not.toContain('"payload"');
      expect(await db.query('SELECT 1 FROM event_deliveries')).toHaveLength(0);
      await db.query('DELETE FROM event_endpoints');
    });
  });
}
