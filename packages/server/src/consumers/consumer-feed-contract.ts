import { afterEach, expect, it } from 'vitest';
import type { EventEnvelope, EventTopic } from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';
import { recordEvent } from '../events/outbox.ts';
import { eventually } from '../../test/support/eventually.ts';
import type { EventConsumer } from './event-consumer.ts';

/** A consumer that records what it handled; it can be told to fail on chosen events once. */
export class RecordingConsumer implements EventConsumer {
  readonly handled: EventEnvelope[] = [];
  readonly failOnce = new Set<string>();
  attempts = 0;
  constructor(
    readonly name: string,
    readonly topics: readonly EventTopic[],
  ) {}
  async handle(event: EventEnvelope, tx: Sql): Promise<void> {
    this.attempts++;
    if (this.failOnce.delete(event.event_id)) throw new Error('consumer failing once (test)');
    // The consumer's effect, written in its transaction as real consumers do: a row that a repeat
    // would collide with (primary key), and that a failed handle or batch rolls back.
    await tx.query('INSERT INTO consumer_events (consumer, event_id) VALUES ($1, $2)', [`${this.name}:effect`, event.event_id]);
    // In memory (not rolled back): every successful handle, repeats of a rolled-back batch included.
    this.handled.push(event);
  }
}

/** A running feed over `consumers`, from events recorded in `db` onwards. */
export interface FeedFixture {
  db: Database;
  start(consumers: EventConsumer[]): Promise<{ stop(): Promise<void> }>;
  /** Whose dedupe rows record that `consumer` handled an event (default: its own name). */
  dedupeName?(consumer: EventConsumer): string;
}

/**
 * What every feed of events to consumers guarantees (outbox in-process, Kafka):
 * every committed event of the consumer's topics arrives, in order per key,
 * and is handled once per event_id even when a handle fails and is retried;
 * a rolled-back change's event never arrives.
 */
export function consumerFeedContract(fixture: () => FeedFixture, options: { timeoutMs: number }): void {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });
  const start = async (consumers: EventConsumer[]) => {
    const running = await fixture().start(consumers);
    stops.push(() => running.stop());
  };
  const name = () => `c${Math.random().toString(36).slice(2, 10)}`;
  const membership = (tx: Sql, key: string, seq: number) =>
    recordEvent(tx, 'conversation.members_added', key, { conversation_id: key, seq, actor_id: key, user_ids: [] });

  it('delivers every committed event of its topics once, in order per key, and none of other topics', async () => {
    const { db } = fixture();
    const keys: string[] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const consumer = new RecordingConsumer(name(), ['conversations']);
    await start([consumer]);
    for (let seq = 1; seq <= 10; seq++) {
      await db.transaction(async (tx) => {
        for (const key of keys) await membership(tx, key, seq);
        await recordEvent(tx, 'user.registered', crypto.randomUUID(), { user_id: crypto.randomUUID(), username: 'x', display_name: 'x' });
      });
    }
    await eventually(() => expect(consumer.handled.filter((e) => keys.includes(e.key))).toHaveLength(30), options);
    const mine = consumer.handled.filter((e) => keys.includes(e.key));
    // Nothing failed here, so nothing was repeated: each event exactly once.
    expect(new Set(mine.map((e) => e.event_id)).size).toBe(30);
    expect(consumer.handled.some((e) => e.type === 'user.registered')).toBe(false);
    for (const key of keys) {
      expect(mine.filter((e) => e.key === key).map((e) => (e.payload as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
  });

  it('retries an event whose handle failed, and handles each event_id once (two consumers, one failing)', async () => {
    const { db } = fixture();
    const key = crypto.randomUUID();
    const steady = new RecordingConsumer(name(), ['conversations']);
    const flaky = new RecordingConsumer(name(), ['conversations']);
    await start([flaky, steady]);
    await db.transaction(async (tx) => {
      for (let seq = 1; seq <= 5; seq++) await membership(tx, key, seq);
    });
    const [third] = await db.query<{ event_id: string }>(
      `SELECT event_id FROM outbox WHERE key = $1 AND (payload->>'seq')::int = 3`,
      [key],
    );
    // Too late for the first batch maybe, so fail a later one too: record more, with the failure armed first.
    flaky.failOnce.add(third!.event_id);
    const [row] = await db.transaction(async (tx) => {
      for (let seq = 6; seq <= 8; seq++) await membership(tx, key, seq);
      return tx.query<{ event_id: string }>(`SELECT event_id FROM outbox WHERE key = $1 AND (payload->>'seq')::int = 7`, [key]);
    });
    flaky.failOnce.add(row!.event_id);
    for (const c of [steady, flaky]) {
      const committedEffects = async () =>
        (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM consumer_events WHERE consumer = $1', [`${c.name}:effect`]))[0]!.n;
      await eventually(async () => expect(await committedEffects()).toBe(8), options);
      const [done] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM consumer_events WHERE consumer = $1 AND event_id IN (SELECT event_id FROM outbox WHERE key = $2)',
        [fixture().dedupeName?.(c) ?? c.name, key],
      );
      expect(done!.n).toBe(8);
      // In order per key: a retried batch repeats a prefix, so first occurrences are in seq order.
      const firstSeen = [...new Map(c.handled.filter((e) => e.key === key).map((e) => [e.event_id, e] as const)).values()];
      expect(firstSeen.map((e) => (e.payload as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    }
    // The failure of event 7 (armed before it was committed) really happened and was retried.
    expect(flaky.failOnce.has(row!.event_id)).toBe(false);
    expect(flaky.attempts).toBeGreaterThan(8);
  });

  it("never delivers a rolled-back change's event", async () => {
    const { db } = fixture();
    const consumer = new RecordingConsumer(name(), ['conversations']);
    await start([consumer]);
    const rolledBack = crypto.randomUUID();
    await expect(
      db.transaction(async (tx) => {
        await membership(tx, rolledBack, 1);
        throw new Error('rolled back (test)');
      }),
    ).rejects.toThrow('rolled back');
    const committed = crypto.randomUUID();
    await db.transaction((tx) => membership(tx, committed, 1));
    await eventually(() => expect(consumer.handled.some((e) => e.key === committed)).toBe(true), options);
    expect(consumer.handled.some((e) => e.key === rolledBack)).toBe(false);
  });
}
