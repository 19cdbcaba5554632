import type { Logger } from 'pino';
import type { UserId } from '@parley/protocol';
import type { Database } from '../store/database.ts';
import type { Bus, Unsubscribe } from '../bus/bus.ts';
import { parseSessionsRevoked, sessionsRevokedPayload, SESSIONS_CHANNEL } from '../bus/control.ts';

/** How often the database is asked for revocations the bus may have lost. */
const POLL_INTERVAL_MS = 500;
/**
 * Each poll re-reads revocations this far behind the previous one: a
 * revocation whose transaction commits late (its revoked_at is taken before
 * the commit) is still seen.
 */
const POLL_OVERLAP_MS = 30_000;

/** What a check of an access token asks. */
export interface SessionCheck {
  isRevoked(sessionId: string): boolean;
}

/**
 * The sessions of this deployment that were ended before their access tokens
 * expire (logout, password change, refresh-token reuse), held in memory so
 * checking a token never costs a database round trip.
 *
 * The instance that revokes records the sessions in `revoked_sessions` in the
 * same transaction, adds them here at once and announces them on the bus; the
 * other instances add them when the announcement arrives, and a poll of the
 * table every POLL_INTERVAL_MS catches what the bus (at-most-once) lost.
 * Entries leave once the last access token of their session has expired.
 */
export class RevokedSessions implements SessionCheck {
  /** Session id → epoch ms after which none of its access tokens is valid anyway. */
  private readonly ended = new Map<string, number>();
  private polledAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: Unsubscribe | undefined;
  private polling: Promise<void> | undefined;
  private readonly listeners: Array<(sessions: ReadonlySet<string>) => void> = [];

  constructor(
    private readonly db: Database,
    private readonly bus: Bus,
    private readonly log: Logger,
    /** Access token lifetime: how long a revocation must be remembered. */
    private readonly accessTtlSeconds: number,
  ) {}

  /** Loads every revocation still relevant, then follows the bus and the poll. */
  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(SESSIONS_CHANNEL, (payload) => {
      const { sessions, expiresAtMs } = parseSessionsRevoked(payload);
      this.addAll(sessions.map((id) => [id, expiresAtMs]));
    });
    await this.poll();
    this.timer = setInterval(() => {
      this.polling ??= this.poll()
        .catch((err: unknown) => this.log.warn({ err }, 'revoked sessions poll failed'))
        .finally(() => (this.polling = undefined));
    }, POLL_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Calls `listener` with sessions this instance learns are revoked (from
   * the bus or the poll, not those it revoked itself). The gateway closes
   * their sockets: the `revoke` control message on the user channel may have been lost.
   */
  onRevoked(listener: (sessions: ReadonlySet<string>) => void): void {
    this.listeners.push(listener);
  }

  isRevoked(sessionId: string): boolean {
    const expiresAtMs = this.ended.get(sessionId);
    if (expiresAtMs === undefined) return false;
    if (expiresAtMs > Date.now()) return true;
    this.ended.delete(sessionId);
    return false;
  }

  /**
   * Records sessions as revoked, inside the caller's transaction (so the
   * revocation and the refresh tokens' end commit together). Call `announce`
   * with the result after the commit.
   */
  async record(sql: Pick<Database, 'query'>, userId: UserId, sessions: readonly string[]): Promise<Revocation> {
    const expiresAtMs = Date.now() + this.accessTtlSeconds * 1000;
    if (sessions.length > 0) {
      await sql.query(
        `INSERT INTO revoked_sessions (session_id, user_id, expires_at)
         SELECT s, $2, to_timestamp($3::float8 / 1000) FROM unnest($1::uuid[]) AS s
         ON CONFLICT (session_id) DO UPDATE SET expires_at = GREATEST(revoked_sessions.expires_at, EXCLUDED.expires_at)`,
        [[...sessions], userId, expiresAtMs],
      );
      // Revocations are rare: sweeping the expired ones as new ones come keeps the table small.
      await sql.query('DELETE FROM revoked_sessions WHERE expires_at < now()');
    }
    return { sessions: [...sessions], expiresAtMs };
  }

  /** After the commit: this instance refuses the sessions at once, the others within a bus hop (or a poll). */
  announce(revocation: Revocation): void {
    if (revocation.sessions.length === 0) return;
    for (const id of revocation.sessions) this.add(id, revocation.expiresAtMs);
    this.bus.publish(SESSIONS_CHANNEL, sessionsRevokedPayload(revocation.sessions, revocation.expiresAtMs)).catch((err: unknown) => {
      this.log.warn({ err }, 'could not announce revoked sessions: other instances learn of them by polling');
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
    // Not awaited: with Redis unreachable the unsubscribe would wait for it (the bus is closed next anyway).
    this.unsubscribe?.().catch((err: unknown) => this.log.warn({ err }, 'could not unsubscribe from revoked sessions'));
  }

  /** Returns whether the session was not known as revoked before. */
  private add(sessionId: string, expiresAtMs: number): boolean {
    const known = this.ended.get(sessionId);
    if (known === undefined || expiresAtMs > known) this.ended.set(sessionId, expiresAtMs);
    return known === undefined;
  }

  private addAll(entries: Iterable<[string, number]>): void {
    const fresh = new Set<string>();
    for (const [id, expiresAtMs] of entries) if (this.add(id, expiresAtMs) && expiresAtMs > Date.now()) fresh.add(id);
    if (fresh.size === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(fresh);
      } catch (err) {
        this.log.warn({ err }, 'revoked sessions listener failed');
      }
    }
  }

  private async poll(): Promise<void> {
    const since = this.polledAtMs === 0 ? 0 : this.polledAtMs - POLL_OVERLAP_MS;
    // One row even when nothing was revoked: it carries the database's clock, the next poll's cursor.
    const rows = await this.db.query<{ at_ms: number; session_id: string | null; expires_ms: number | null }>(
      `SELECT n.at_ms, r.session_id, r.expires_ms
         FROM (SELECT (extract(epoch FROM now()) * 1000)::float8 AS at_ms) n
         LEFT JOIN LATERAL (
           SELECT session_id, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms
             FROM revoked_sessions
            WHERE revoked_at > to_timestamp($1::float8 / 1000) AND expires_at > now()
         ) r ON true`,
      [since],
    );
    this.addAll(rows.filter((r) => r.session_id !== null).map((r) => [r.session_id!, Number(r.expires_ms)]));
    this.polledAtMs = Number(rows[0]?.at_ms ?? Date.now());
    const now = Date.now();
    for (const [id, expiresAtMs] of this.ended) if (expiresAtMs <= now) this.ended.delete(id);
  }
}

/** Sessions recorded as revoked, to announce once their transaction has committed. */
export interface Revocation {
  sessions: string[];
  expiresAtMs: number;
}
