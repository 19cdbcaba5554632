import type { Logger } from 'pino';
import type { EventTopic, EventType } from '@parley/protocol';
import type { Database } from '../store/database.ts';
import type { EventSink, OutboxEvent } from './event-sink.ts';
import { Lease } from './lease.ts';

export const RELAY_LEASE = 'outbox-relay';

export interface RelayOptions {
  instanceId: string;
  /** Events per `publish`, at most. */
  batch: number;
  /** Seconds a row is kept: after it was relayed, or after it was written when there is no sink. */
  retentionSeconds: number;
  leaseTtlSeconds: number;
  /** Wait between polls when the outbox is empty (ms); a poll is one index probe of the unrelayed rows. */
  idleMs?: number;
  /** Wait after a batch smaller than `batch` (ms): lets a trickle gather into the next batch. */
  lingerMs?: number;
  /** Between prunes (ms). */
  pruneEveryMs?: number;
}

/** What the relay has done on this instance (for metrics). */
export interface RelayStats {
  relayed: number;
  errors: number;
  holding: boolean;
}

interface Row {
  id: string;
  event_id: string;
  type: EventType;
  schema_version: number;
  topic: EventTopic;
  key: string;
  occurred_at: string;
  payload: never;
}

/**
 * Moves the outbox to a sink, in batches in id order, on exactly one
 * instance at a time (the lease `outbox-relay`), and prunes it.
 *
 * A batch is marked relayed only after the sink acknowledged it, so a crash
 * between the two sends it again: at least once, a repeat always the same
 * event_id. The relay reads "not yet relayed", never "after the last id",
 * so an event whose transaction committed after a later id was relayed is
 * still sent. While the sink fails (Kafka down), the batch is retried with
 * backoff, nothing is marked, and the outbox grows; sends are not affected.
 *
 * Without KAFKA_BROKERS the sink is the in-process consumers
 * (consumers/outbox-feed.ts). With no sink at all (no Kafka and
 * CONSUMERS_IN_PROCESS=off) nothing reads the outbox, so the relay only prunes rows older than the retention,
 * relayed or not: the table stays bounded, and a sink added later finds the
 * last `retentionSeconds` of events.
 */
export class OutboxRelay {
  readonly stats: RelayStats = { relayed: 0, errors: 0, holding: false };
  private readonly lease: Lease;
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;
  private lastRenewal = 0;
  private nextPrune = 0;

  constructor(
    private readonly db: Database,
    private readonly sink: EventSink | null,
    private readonly log: Logger,
    private readonly options: RelayOptions,
  ) {
    this.lease = new Lease(db, RELAY_LEASE, options.instanceId, options.leaseTtlSeconds);
  }

  start(): void {
    this.running ??= this.loop();
  }

  /**
   * Stops relaying, gives up the lease (another instance takes over at once),
   * closes the sink. `release: false` leaves the lease to expire instead, as
   * a killed instance does (tests of the takeover).
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopping.abort();
    await this.running;
    if (this.stats.holding && options.release !== false) await this.lease.release().catch(() => {});
    this.stats.holding = false;
    await this.sink?.close().catch(() => {});
  }

  private async loop(): Promise<void> {
    const ttlMs = this.options.leaseTtlSeconds * 1000;
    let backoffMs = 0;
    while (!this.stopping.signal.aborted) {
      try {
        if (!(await this.holdLease(ttlMs))) {
          await this.sleep(ttlMs / 3);
          continue;
        }
        if (Date.now() >= this.nextPrune) {
          await this.prune();
          this.nextPrune = Date.now() + (this.options.pruneEveryMs ?? 60_000);
        }
        const relayed = this.sink ? await this.relayBatch(this.sink) : 0;
        backoffMs = 0;
        // Under load the relay goes round without waiting (full batches) or
        // nearly so (a partial batch); only an empty outbox waits a poll interval.
        if (!this.sink) await this.sleep(ttlMs / 3);
        else if (relayed === 0) await this.sleep(this.options.idleMs ?? 50);
        else if (relayed < this.options.batch) await this.sleep(this.options.lingerMs ?? 5);
      } catch (err) {
        this.stats.errors++;
        backoffMs = Math.min(Math.max(backoffMs * 2, 250), 5_000);
        this.log.warn({ err: (err as Error).message, retry_in_ms: backoffMs }, 'outbox relay failed; retrying');
        await this.sleep(backoffMs);
      }
    }
  }

  /** Renews the lease at a third of its lifetime, so it never lapses while this instance is alive. */
  private async holdLease(ttlMs: number): Promise<boolean> {
    if (this.stats.holding && Date.now() - this.lastRenewal < ttlMs / 3) return true;
    const held = await this.lease.hold();
    if (held !== this.stats.holding) this.log.info({ lease: RELAY_LEASE, held }, held ? 'outbox relay lease taken' : 'outbox relay lease lost');
    this.stats.holding = held;
    if (held) this.lastRenewal = Date.now();
    return held;
  }

  private async relayBatch(sink: EventSink): Promise<number> {
    const rows = await this.db.query<Row>(
      `SELECT id::text, event_id, type, schema_version, topic, key,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at, payload
         FROM outbox WHERE relayed_at IS NULL
        -- outbox.id, the bigint: a bare "id" would name the text column above and sort "100" before "15".
        ORDER BY outbox.id LIMIT $1`,
      [this.options.batch],
    );
    if (rows.length === 0) return 0;
    const events: OutboxEvent[] = rows.map((r) => ({
      id: r.id,
      topic: r.topic,
      envelope: {
        event_id: r.event_id,
        type: r.type,
        schema_version: r.schema_version,
        occurred_at: r.occurred_at,
        key: r.key,
        payload: r.payload,
      },
    }));
    // A publish may outlast the lease while Kafka is slow or down (connect
    // timeouts, retries): keep renewing it meanwhile, so the lease means "this
    // relay is alive" and no second relay starts sending the same events.
    const keepAlive = setInterval(() => {
      this.lease.hold().then((held) => {
        if (held) this.lastRenewal = Date.now();
        else this.stats.holding = false;
      }, () => {});
    }, (this.options.leaseTtlSeconds * 1000) / 3).unref();
    try {
      await sink.publish(events);
    } finally {
      clearInterval(keepAlive);
    }
    if (!this.stats.holding) return 0; // lost the lease meanwhile: the new holder marks and relays from here
    await this.db.query('UPDATE outbox SET relayed_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
    this.stats.relayed += rows.length;
    return rows.length;
  }

  private async prune(): Promise<void> {
    const rows = await this.db.query(
      this.sink
        ? `DELETE FROM outbox WHERE relayed_at < now() - make_interval(secs => $1::double precision) RETURNING 1`
        : `DELETE FROM outbox WHERE occurred_at < now() - make_interval(secs => $1::double precision) RETURNING 1`,
      [this.options.retentionSeconds],
    );
    if (rows.length > 0) this.log.info({ pruned: rows.length }, 'outbox pruned');
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      // Unref'd: a relay waiting for work never keeps the process alive by itself.
      const timer = setTimeout(done, ms).unref();
      signal.addEventListener('abort', done);
    });
  }
}

/** How far behind the relay is, read from the outbox itself (any instance can answer). */
export async function outboxBacklog(db: Database): Promise<{ backlog: number; oldestSeconds: number }> {
  const [row] = await db.query<{ backlog: number; oldest: number | null }>(
    `SELECT count(*)::int AS backlog, extract(epoch FROM now() - min(occurred_at))::float8 AS oldest
       FROM outbox WHERE relayed_at IS NULL`,
  );
  return { backlog: row?.backlog ?? 0, oldestSeconds: Math.max(0, row?.oldest ?? 0) };
}
