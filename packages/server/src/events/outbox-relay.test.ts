import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase, type TestDatabase } from '../../test/support/databases.ts';
import { eventually } from '../../test/support/eventually.ts';
import { createLogger } from '../logger.ts';
import type { EventSink, OutboxEvent } from './event-sink.ts';
import { OutboxRelay, outboxBacklog } from './outbox-relay.ts';
import { recordEvent } from './outbox.ts';

/**
 * A sink that records what it is given and can be made to fail: a stand-in
 * for Kafka, which kafka-outbox.test.ts covers with a real broker.
 */
class RecordingSink implements EventSink {
  readonly name = 'recording';
  readonly received: OutboxEvent[] = [];
  failing = false;
  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (this.failing) throw new Error('sink unavailable');
    this.received.push(...events);
  }
  async close(): Promise<void> {}
}

const silent = createLogger('silent');

describe('OutboxRelay (PGlite, no Kafka)', () => {
  let database: TestDatabase;
  const relays: OutboxRelay[] = [];
  beforeAll(async () => {
    database = await pgliteDatabase();
  });
  afterEach(async () => {
    for (const r of relays.splice(0)) await r.stop();
    await database.db.query('DELETE FROM outbox');
  });
  afterAll(async () => {
    await database?.drop();
  });

  const relay = (sink: EventSink | null, instanceId: string, retentionSeconds = 3600) => {
    const r = new OutboxRelay(database.db, sink, silent, { instanceId, batch: 7, retentionSeconds, leaseTtlSeconds: 1, idleMs: 10, pruneEveryMs: 20 });
    relays.push(r);
    r.start();
    return r;
  };
  const record = (n: number, key = crypto.randomUUID()) =>
    database.db.transaction(async (tx) => {
      for (let i = 0; i < n; i++) await recordEvent(tx, 'conversation.members_added', key, { conversation_id: key, seq: i + 1, actor_id: key, user_ids: [] });
    });

  it('relays in id order in batches on the one lease holder, marks what the sink took, and keeps the rest while it fails', async () => {
    const [sinkA, sinkB] = [new RecordingSink(), new RecordingSink()];
    await record(20);
    const a = relay(sinkA, 'a');
    await eventually(() => expect(a.stats.holding).toBe(true));
    const b = relay(sinkB, 'b');
    await eventually(() => expect(sinkA.received).toHaveLength(20));
    expect(sinkA.received.map((e) => (e.envelope.payload as { seq: number }).seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(sinkA.received[0]!.envelope).toMatchObject({ type: 'conversation.members_added', schema_version: 1 });
    expect(sinkA.received[0]!.topic).toBe('conversations');
    expect(b.stats.holding).toBe(false);
    expect(sinkB.received).toEqual([]);
    expect(await outboxBacklog(database.db)).toEqual({ backlog: 0, oldestSeconds: 0 });

    sinkA.failing = true;
    await record(5);
    await eventually(() => expect(a.stats.errors).toBeGreaterThan(0));
    expect((await outboxBacklog(database.db)).backlog).toBe(5);
    sinkA.failing = false;
    await eventually(async () => expect((await outboxBacklog(database.db)).backlog).toBe(0));
    expect(sinkA.received).toHaveLength(25);
  });

  it('without a sink (embedded tier) relays nothing and prunes events older than the retention, relayed or not', async () => {
    await record(3);
    await database.db.query(`UPDATE outbox SET occurred_at = now() - interval '2 hours'`);
    await record(2);
    relay(null, 'embedded', 3600);
    await eventually(async () => expect((await database.db.query('SELECT 1 FROM outbox')).length).toBe(2));
    expect((await database.db.query('SELECT 1 FROM outbox WHERE relayed_at IS NOT NULL')).length).toBe(0);
  });

  it('prunes relayed rows past the retention once Kafka has them', async () => {
    const sink = new RecordingSink();
    await record(4);
    const r = relay(sink, 'pruner', 1);
    await eventually(() => expect(sink.received).toHaveLength(4));
    await eventually(async () => expect((await database.db.query('SELECT 1 FROM outbox')).length).toBe(0), { timeoutMs: 5_000 });
    expect(r.stats.relayed).toBe(4);
  });
});
