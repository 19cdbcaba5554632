import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from '../../test/support/databases.ts';
import { createLogger } from '../logger.ts';
import { OutboxRelay } from '../events/outbox-relay.ts';
import { consumerFeedContract, RecordingConsumer } from './consumer-feed-contract.ts';
import { deliver, pruneHandled } from './event-consumer.ts';
import { OutboxConsumersSink } from './outbox-feed.ts';

const silent = createLogger('silent');

/** A fresh `user.registered` event (the `users` topic). */
const userRegistered = () => ({
  event_id: crypto.randomUUID(),
  type: 'user.registered' as const,
  schema_version: 1,
  occurred_at: new Date().toISOString(),
  key: crypto.randomUUID(),
  payload: { user_id: crypto.randomUUID(), username: 'x', display_name: 'x' },
});

/** The embedded tier's feed (the relay's in-process sink) on both storage engines. */
for (const kind of ['pglite', 'postgres'] as DatabaseKind[]) {
  const enabled = kind === 'pglite' || TEST_DATABASE_URL !== '';
  (enabled ? describe : describe.skip)(enabled ? `outbox consumer feed (${kind})` : `outbox consumer feed (${kind}; skipped: needs TEST_DATABASE_URL)`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await makeDatabase(kind);
    });
    afterAll(async () => {
      await database?.drop();
    });

    consumerFeedContract(
      () => ({
        db: database.db,
        async start(consumers) {
          // Only events recorded from now on: the file's earlier tests' rows are marked relayed.
          await database.db.query('UPDATE outbox SET relayed_at = now() WHERE relayed_at IS NULL');
          const relay = new OutboxRelay(database.db, new OutboxConsumersSink(database.db, consumers, silent), silent, {
            instanceId: crypto.randomUUID(),
            batch: 4,
            retentionSeconds: 3600,
            leaseTtlSeconds: 1,
            idleMs: 10,
            lingerMs: 1,
          });
          relay.start();
          return { stop: () => relay.stop() };
        },
        // The in-process consumers commit together, under one dedupe row per event.
        dedupeName: () => 'in-process-consumers',
      }),
      { timeoutMs: 10_000 },
    );

    it('commits a batch for all consumers or none, under one dedupe row per event', async () => {
      const { db } = database;
      const tag = () => `c${Math.random().toString(36).slice(2, 10)}`;
      const [steady, flaky] = [new RecordingConsumer(tag(), ['users']), new RecordingConsumer(tag(), ['users'])];
      const sink = new OutboxConsumersSink(db, [steady, flaky], silent);
      const events = Array.from({ length: 3 }, (_, i) => ({
        id: String(i + 1),
        topic: 'users' as const,
        envelope: userRegistered(),
      }));
      const ids = events.map((e) => e.envelope.event_id);
      const rows = async (consumer: string) =>
        (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM consumer_events WHERE consumer = $1 AND event_id = ANY($2::uuid[])', [consumer, ids]))[0]!.n;
      flaky.failOnce.add(ids[1]!);
      await expect(sink.publish(events)).rejects.toThrow();
      // The steady consumer ran first, but its effects rolled back with the flaky one's failure.
      expect(steady.handled).toHaveLength(3);
      expect([await rows(`${steady.name}:effect`), await rows(`${flaky.name}:effect`), await rows(sink.name)]).toEqual([0, 0, 0]);
      await sink.publish(events);
      expect([await rows(`${steady.name}:effect`), await rows(`${flaky.name}:effect`), await rows(sink.name)]).toEqual([3, 3, 3]);
      // No row per consumer: one per event says all of them handled it.
      expect([await rows(steady.name), await rows(flaky.name)]).toEqual([0, 0]);
      await sink.publish(events); // a repeat changes nothing
      expect([await rows(`${steady.name}:effect`), steady.handled.length]).toEqual([3, 6]);
    });

    it('a repeated event_id changes nothing, and handled ids are pruned after the dedupe window', async () => {
      const consumer = new RecordingConsumer(`c${Math.random().toString(36).slice(2, 10)}`, ['users']);
      const event = userRegistered();
      expect(await deliver(database.db, consumer, event)).toBe(true);
      expect(await deliver(database.db, consumer, event)).toBe(false);
      expect(consumer.handled).toHaveLength(1);
      await database.db.query(`UPDATE consumer_events SET processed_at = now() - interval '2 hours' WHERE consumer = $1`, [consumer.name]);
      expect(await pruneHandled(database.db, 3600)).toBeGreaterThanOrEqual(1);
      expect(await database.db.query('SELECT 1 FROM consumer_events WHERE consumer = $1', [consumer.name])).toHaveLength(0);
    });
  });
}
