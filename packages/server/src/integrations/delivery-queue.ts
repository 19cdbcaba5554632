import type { EventEnvelope } from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';

/** A claimed delivery, with what is needed to send it. */
export interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  body: string;
  /** This attempt's number (1 for the first). */
  attempts: number;
  url: string;
  secret: string;
}

/** The outcome of one attempt, as the log keeps it. */
export interface AttemptOutcome {
  statusCode: number | null;
  /** Null when delivered; else the kind of failure (never a body, never the URL). */
  error: string | null;
  durationMs: number;
}

/**
 * The delivery queue in the database (`event_deliveries`): filled by the
 * `integrations` consumer inside the transaction that marks an event
 * handled, worked by any instance. A claim takes a due row with
 * `FOR UPDATE SKIP LOCKED` and a lease longer than an attempt can last, so a
 * row is attempted by one instance at a time, and a row whose instance died
 * is taken again when the lease lapses. Outcomes are fenced on the holder.
 */
export class DeliveryQueue {
  constructor(private readonly db: Database) {}

  /**
   * Queues a batch of events (inside the consumer's transaction): each event
   * for every enabled endpoint that subscribes to its type and, when the
   * endpoint names conversations, is about one of them. The number of
   * deliveries queued. Two statements: the event types some enabled endpoint
   * wants, then, only for the events of those types, one INSERT that applies
   * the rules. Most events are wanted by no endpoint (most deployments have
   * none), and their bodies then never leave the process. An endpoint that
   * commits between the two statements misses the batch, as it would had it
   * committed just after it.
   */
  static async enqueueBatch(tx: Sql, events: readonly EventEnvelope[]): Promise<number> {
    if (events.length === 0) return 0;
    const [row] = await tx.query<{ types: string[] | null }>(
      `SELECT array_agg(DISTINCT t) AS types FROM event_endpoints, unnest(event_types) AS t
        WHERE enabled AND t = ANY ($1::text[])`,
      [[...new Set(events.map((e) => e.type))]],
    );
    const wanted = new Set(row?.types ?? []);
    const mine = events.filter((e) => wanted.has(e.type));
    if (mine.length === 0) return 0;
    const conversationId = (event: EventEnvelope) => {
      const payload = event.payload as { conversation_id?: unknown } | null;
      return typeof payload?.conversation_id === 'string' ? payload.conversation_id : null;
    };
    const rows = await tx.query(
      `INSERT INTO event_deliveries (id, endpoint_id, event_id, event_type, body)
       SELECT gen_random_uuid(), e.id, ev.event_id, ev.type, ev.body
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[]) AS ev(event_id, type, conversation_id, body)
         JOIN event_endpoints e ON e.enabled AND ev.type = ANY (e.event_types)
          AND (e.conversation_ids IS NULL OR (ev.conversation_id IS NOT NULL AND ev.conversation_id = ANY (e.conversation_ids)))
       ON CONFLICT (endpoint_id, event_id) DO NOTHING
       RETURNING 1`,
      [mine.map((e) => e.event_id), mine.map((e) => e.type), mine.map(conversationId), mine.map((e) => JSON.stringify(e))],
    );
    return rows.length;
  }

  async claim(holder: string, leaseSeconds: number): Promise<ClaimedDelivery | null> {
    const [row] = await this.db.query<ClaimedDelivery>(
      `WITH claimed AS (
         UPDATE event_deliveries SET lease_holder = $1, lease_expires_at = now() + make_interval(secs => $2::double precision),
                attempts = attempts + 1
          WHERE id = (
            SELECT d.id FROM event_deliveries d JOIN event_endpoints e ON e.id = d.endpoint_id
             WHERE d.status = 'pending' AND e.enabled AND d.next_attempt_at <= now()
               AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now())
             ORDER BY d.next_attempt_at
             LIMIT 1
             FOR UPDATE OF d SKIP LOCKED)
          RETURNING id, endpoint_id, event_id, event_type, body, attempts)
       SELECT c.*, e.url, e.secret FROM claimed c JOIN event_endpoints e ON e.id = c.endpoint_id`,
      [holder, leaseSeconds],
    );
    return row ?? null;
  }

  /**
   * Records an attempt and its consequence: delivered, failed for good, or
   * due again after `retryInMs`. Nothing when the holder lost the row (its
   * lease lapsed, or the endpoint was deleted meanwhile). True when recorded.
   */
  async finish(d: ClaimedDelivery, holder: string, outcome: AttemptOutcome, next: { kind: 'delivered' } | { kind: 'failed' } | { kind: 'retry'; inMs: number }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE event_deliveries
            SET lease_holder = NULL, lease_expires_at = NULL, last_status_code = $3, last_error = $4,
                status = CASE $5::text WHEN 'retry' THEN 'pending' ELSE $5::text END,
                delivered_at = CASE WHEN $5::text = 'delivered' THEN now() END,
                next_attempt_at = CASE WHEN $5::text = 'retry' THEN now() + make_interval(secs => $6::double precision / 1000) ELSE next_attempt_at END,
                -- The body is kept only while it may still be sent.
                body = CASE WHEN $5::text = 'retry' THEN body END
          WHERE id = $1 AND lease_holder = $2 AND status = 'pending'
          RETURNING id`,
        [d.id, holder, outcome.statusCode, outcome.error, next.kind, next.kind === 'retry' ? next.inMs : 0],
      );
      if (rows.length === 0) return false;
      await tx.query(
        `INSERT INTO event_delivery_attempts (delivery_id, attempt, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [d.id, d.attempts, outcome.statusCode, outcome.error, Math.round(outcome.durationMs)],
      );
      return true;
    });
  }

  /** Gives a claimed row back untried (this instance is stopping): due at once elsewhere. */
  async release(id: string, holder: string): Promise<void> {
    await this.db.query(
      `UPDATE event_deliveries SET lease_holder = NULL, lease_expires_at = NULL, attempts = greatest(attempts - 1, 0)
        WHERE id = $1 AND lease_holder = $2 AND status = 'pending'`,
      [id, holder],
    );
  }

  /** Forgets delivered and failed deliveries older than the log retention. */
  async prune(retentionSeconds: number): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM event_deliveries WHERE status <> 'pending'
          AND created_at < now() - make_interval(secs => $1::double precision) RETURNING 1`,
      [retentionSeconds],
    );
    return rows.length;
  }
}
