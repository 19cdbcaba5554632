import type { EventEnvelope, EventTopic } from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';

/**
 * A consumer of the event stream (moderation, analytics, the search index). It sees each event
 * of its topics at least once, from either feed: the outbox in-process
 * (`outbox-feed.ts`, the embedded tier) or Kafka with a consumer group
 * (`kafka-feed.ts`, the scaled tier). `handle` runs inside the transaction
 * that also records the event as handled (`deliver` below), so a repeat of an
 * event_id changes nothing and a failed handle is retried whole.
 */
export interface EventConsumer {
  /** Stable: names its dedupe rows and its Kafka consumer group. */
  readonly name: string;
  readonly topics: readonly EventTopic[];
  /** `afterCommit`: work to run once the effects committed (a push to clients); it must not throw. */
  handle(event: EventEnvelope, tx: Sql, afterCommit: (task: AfterCommit) => void): Promise<void>;
  /** Told after a transaction that handled new events has committed (e.g. to wake a worker for what `handle` queued). */
  committed?(): void;
  /**
   * Optional: the fresh events of a batch at once, in order, instead of
   * `handle` for each (`deliverBatch`), for a consumer that does the same
   * work for many events in one statement.
   */
  handleBatch?(events: readonly EventEnvelope[], tx: Sql): Promise<void>;
}

/** Work a consumer leaves for after its transaction committed (a push that must not announce a rolled-back change). */
export type AfterCommit = () => Promise<void>;

/** Runs `work` in a transaction of `db`, then what it left for after the commit. */
async function committing<T>(db: Database, work: (tx: Sql, afterCommit: (task: AfterCommit) => void) => Promise<T>): Promise<T> {
  const tasks: AfterCommit[] = [];
  const result = await db.transaction((tx) => work(tx, (task) => tasks.push(task)));
  for (const task of tasks) await task();
  return result;
}

/**
 * Hands one event to one consumer exactly once per event_id: the dedupe row
 * and the consumer's effects commit together. True when it was new.
 */
export async function deliver(db: Database, consumer: EventConsumer, event: EventEnvelope): Promise<boolean> {
  const fresh = await committing(db, async (tx, afterCommit) => {
    const fresh = await tx.query(
      'INSERT INTO consumer_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1',
      [consumer.name, event.event_id],
    );
    if (fresh.length === 0) return false;
    await consumer.handle(event, tx, afterCommit);
    return true;
  });
  if (fresh) consumer.committed?.();
  return fresh;
}

/**
 * `deliver` for a batch in one transaction: one dedupe statement for all its
 * event_ids, then the fresh events handled in order. A failure rolls the whole
 * batch back (it comes again). Saves a transaction per event where they are
 * dear: PGlite has one connection, shared with the sends.
 */
export function deliverBatch(db: Database, consumer: EventConsumer, events: readonly EventEnvelope[]): Promise<number> {
  return deliverTogether(db, consumer.name, [{ consumer, events }]);
}

/** A consumer's events, raised when its handling failed (the whole transaction rolled back). */
export class ConsumerFailed extends Error {
  constructor(
    readonly consumer: string,
    readonly events: number,
    cause: unknown,
  ) {
    super(`event consumer ${consumer} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * `deliverBatch` for several consumers at once, in one transaction: one
 * dedupe row per event under `dedupeName` (an event any of them takes),
 * then each consumer, in the order given, handles the fresh events of its
 * list. They commit together or not at all, so one row per event says every
 * consumer handled it. The embedded tier's in-process consumers: one
 * transaction and one dedupe row per event instead of one each per consumer.
 * Resolves to the number of fresh events.
 */
export async function deliverTogether(
  db: Database,
  dedupeName: string,
  batches: ReadonlyArray<{ consumer: EventConsumer; events: readonly EventEnvelope[] }>,
): Promise<number> {
  const ids = [...new Set(batches.flatMap((b) => b.events.map((e) => e.event_id)))];
  if (ids.length === 0) return 0;
  const handledBy: EventConsumer[] = [];
  const fresh = await committing(db, async (tx, afterCommit) => {
    const rows = await tx.query<{ event_id: string }>(
      `INSERT INTO consumer_events (consumer, event_id) SELECT $1, unnest($2::uuid[])
       ON CONFLICT DO NOTHING RETURNING event_id`,
      [dedupeName, ids],
    );
    const freshIds = new Set(rows.map((r) => r.event_id));
    for (const { consumer, events } of batches) {
      // By key, stably: each key's events keep their order, and the conversation rows a handler locks
      // (moderation's hides) are taken in ascending id order, the message writer's, so the two never deadlock.
      const mine = [...events].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).filter((e) => freshIds.has(e.event_id));
      if (mine.length === 0) continue;
      try {
        if (consumer.handleBatch) await consumer.handleBatch(mine, tx);
        else for (const event of mine) await consumer.handle(event, tx, afterCommit);
      } catch (err) {
        throw new ConsumerFailed(consumer.name, mine.length, err);
      }
      handledBy.push(consumer);
    }
    return freshIds.size;
  });
  for (const consumer of handledBy) consumer.committed?.();
  return fresh;
}

/** Forgets handled event ids older than the dedupe window. */
export async function pruneHandled(db: Database, retentionSeconds: number): Promise<number> {
  const rows = await db.query(
    'DELETE FROM consumer_events WHERE processed_at < now() - make_interval(secs => $1::double precision) RETURNING 1',
    [retentionSeconds],
  );
  return rows.length;
}

/** One feed of events to a set of consumers; started and stopped by its owner. */
export interface ConsumerFeed {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
