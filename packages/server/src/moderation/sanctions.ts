import type { SanctionView, UserId } from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';
import { AppError } from '../errors.ts';
import { isoSql } from '../events/outbox.ts';

export type SanctionKind = 'mute' | 'ban';

interface Active {
  mute?: number | null;
  ban?: number | null;
}

/**
 * Mutes and bans (table `user_sanctions`), enforced on every send. The send
 * path asks `check`, which reads an in-memory copy of the active sanctions
 * (few rows) instead of the database: a send costs no extra round trip. The
 * copy is reloaded every `refreshMs` (so another instance's mute applies
 * within that) and at once after a change made here. Expiry is checked at
 * send time against `until`, so an expired mute stops applying without a reload.
 */
export class Sanctions {
  private active = new Map<UserId, Active>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly refreshMs = 2_000,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch(() => {}), this.refreshMs).unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async reload(): Promise<void> {
    const rows = await this.db.query<{ user_id: string; kind: SanctionKind; until_ms: number | null }>(
      `SELECT user_id, kind, (extract(epoch FROM until) * 1000)::float8 AS until_ms
         FROM user_sanctions WHERE until IS NULL OR until > now()`,
    );
    const next = new Map<UserId, Active>();
    for (const r of rows) {
      const entry = next.get(r.user_id) ?? {};
      entry[r.kind] = r.until_ms;
      next.set(r.user_id, entry);
    }
    this.active = next;
  }

  /** Throws `banned` or `muted` (with retry_after for a timed mute) when the user may not send now. */
  check(userId: UserId, now = Date.now()): void {
    const entry = this.active.get(userId);
    if (!entry) return;
    if (entry.ban !== undefined && (entry.ban === null || entry.ban > now)) throw new AppError('banned', 'this account is banned');
    if (entry.mute !== undefined && (entry.mute === null || entry.mute > now)) {
      throw new AppError('muted', 'you are muted', entry.mute === null ? {} : { retryAfter: Math.ceil((entry.mute - now) / 1000) });
    }
  }

  /** Whether the user is banned now, read from the database (logins: rare, and must see another instance's ban at once). */
  async isBanned(userId: UserId): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM user_sanctions WHERE user_id = $1 AND kind = 'ban' AND (until IS NULL OR until > now())`,
      [userId],
    );
    return rows.length > 0;
  }

  /** Imposes (or replaces) a sanction in the caller's transaction; returns its end (ISO) or null. */
  async impose(tx: Sql, userId: UserId, kind: SanctionKind, durationSeconds: number | null, actorId: UserId, itemId: string | null): Promise<string | null> {
    const [row] = await tx.query<{ until: string | null }>(
      `INSERT INTO user_sanctions (user_id, kind, until, item_id, created_by)
       VALUES ($1, $2, CASE WHEN $3::int IS NULL THEN NULL ELSE now() + make_interval(secs => $3::int) END, $4, $5)
       ON CONFLICT (user_id, kind) DO UPDATE SET until = EXCLUDED.until, item_id = EXCLUDED.item_id,
              created_by = EXCLUDED.created_by, created_at = now()
       RETURNING ${isoSql('until')} AS until`,
      [userId, kind, durationSeconds, itemId, actorId],
    );
    if (kind === 'ban') {
      // A banned account cannot refresh its way back in: its sessions' refresh tokens end now.
      await tx.query('UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
    }
    return row?.until ?? null;
  }

  async lift(tx: Sql, userId: UserId, kind: SanctionKind): Promise<boolean> {
    const rows = await tx.query('DELETE FROM user_sanctions WHERE user_id = $1 AND kind = $2 RETURNING 1', [userId, kind]);
    return rows.length > 0;
  }

  async list(): Promise<SanctionView[]> {
    return this.db.query<SanctionView>(
      `SELECT user_id, kind, ${isoSql('until')} AS until, created_by, ${isoSql('created_at')} AS created_at
         FROM user_sanctions WHERE until IS NULL OR until > now() ORDER BY created_at DESC`,
    );
  }
}
