import { createHash, randomBytes } from 'node:crypto';
import type { AuthResponse, LoginBody, RegisterBody, UserId, WsTicketResponse } from '@parley/protocol';
import type { Database } from '../store/database.ts';
import { AppError } from '../errors.ts';
import { UsersRepo } from '../users/users-repo.ts';
import { burnVerify, hashPassword, verifyPassword } from './passwords.ts';
import type { AccessTokens, VerifiedToken } from './access-tokens.ts';
import type { Config } from '../config.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { Audit } from '../audit.ts';
import type { Notifier } from '../bus/notifier.ts';
import type { Revocation, RevokedSessions } from './revoked-sessions.ts';

const TICKET_TTL_SECONDS = 30;

function sha256(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * The per-account budget of password checks: logins and password changes
 * draw on the same one, so a stolen access token guesses no faster than a
 * login form. Usernames are stored lowercase.
 */
const accountLimitKey = (username: string): string => `login_account:${username.toLowerCase()}`;

function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Registration, login, refresh-token rotation, logout and WebSocket tickets.
 *
 * Refresh tokens rotate on every use and are stored hashed. Each login starts a
 * family; presenting a token of the family that was already rotated means it
 * leaked, so the whole family is revoked.
 */
export class AuthService {
  private readonly users: UsersRepo;

  constructor(
    private readonly db: Database,
    private readonly tokens: AccessTokens,
    private readonly options: {
      refreshTtlSeconds: number;
      refreshReuseGrace: number;
      limiter: RateLimiter;
      limits: Pick<Config['limits'], 'login_account' | 'login_ip'>;
      audit: Audit;
      notifier: Notifier;
      revoked: RevokedSessions;
      /** A banned account may not log in (moderation/sanctions.ts); its refresh tokens are revoked when banned. */
      isBanned?: (userId: string) => Promise<boolean>;
    },
  ) {
    this.users = new UsersRepo(db);
  }

  async register(body: RegisterBody, ip: string): Promise<AuthResponse> {
    const passwordHash = await hashPassword(body.password);
    const user = await this.users.create({
      username: body.username,
      displayName: body.display_name ?? body.username,
      passwordHash,
    });
    this.options.audit.event('registered', { user_id: user.id, ip });
    return this.issue(user.id, user, crypto.randomUUID());
  }

  /**
   * Checks a password. Attempts are throttled per account and per address
   * before any work is done; an unknown user and a wrong password cost the
   * same argon2 verification and get the same answer.
   */
  async login(body: LoginBody, ip: string): Promise<AuthResponse> {
    const { limiter, limits, audit } = this.options;
    const account = body.username.toLowerCase();
    const wait = Math.max(
      await limiter.take(`login_ip:${ip}`, limits.login_ip),
      await limiter.take(accountLimitKey(account), limits.login_account),
    );
    if (wait > 0) {
      audit.event('rate_limited', { scope: 'login', ip });
      throw new AppError('rate_limited', 'too many login attempts; try again later', { retryAfter: wait });
    }
    const record = await this.users.findByUsername(account);
    // A bot has no password to log in with: it is refused like a wrong one, at the same cost.
    const isBot = record?.kind === 'bot';
    const ok = record && !isBot ? await verifyPassword(record.password_hash, body.password) : await burnVerify(body.password);
    if (!record || !ok) {
      audit.event('login_failed', { user_id: record?.id ?? null, ip });
      throw new AppError('invalid_credentials', 'wrong username or password');
    }
    if (await this.options.isBanned?.(record.id)) {
      audit.event('banned_login_refused', { user_id: record.id, ip });
      throw new AppError('banned', 'this account is banned');
    }
    audit.event('login_succeeded', { user_id: record.id, ip });
    const { password_hash: _, ...user } = record;
    return this.issue(user.id, user, crypto.randomUUID());
  }

  async refresh(refreshToken: string): Promise<AuthResponse> {
    const hash = sha256(refreshToken);
    const outcome = await this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: string; family_id: string; user_id: string; used: boolean; valid: boolean; in_grace: boolean }>(
        `SELECT id, family_id, user_id, used_at IS NOT NULL AS used,
                (revoked_at IS NULL AND expires_at > now()) AS valid,
                (used_at > now() - make_interval(secs => $2)) AS in_grace
           FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
        [hash, this.options.refreshReuseGrace],
      );
      if (!row || !row.valid) return { kind: 'invalid' as const };
      if (row.used && !row.in_grace) {
        await tx.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [
          row.family_id,
        ]);
        const revocation = await this.options.revoked.record(tx, row.user_id, [row.family_id]);
        return { kind: 'reused' as const, userId: row.user_id, familyId: row.family_id, revocation };
      }
      // Within the grace period a second use (another tab) gets its own successor in the same session.
      if (!row.used) await tx.query('UPDATE refresh_tokens SET used_at = now() WHERE id = $1', [row.id]);
      const next = newOpaqueToken();
      await this.storeRefresh(tx, next, row.user_id, row.family_id);
      return { kind: 'ok' as const, userId: row.user_id, familyId: row.family_id, refreshToken: next };
    });
    // The revocation must commit, so the error is thrown after the transaction.
    if (outcome.kind === 'reused') {
      this.options.audit.event('refresh_token_reused', { user_id: outcome.userId, session_id: outcome.familyId });
      this.endSessions(outcome.userId, outcome.familyId, outcome.revocation);
      throw new AppError('refresh_token_reused', 'refresh token already used; the session is revoked');
    }
    if (outcome.kind === 'invalid') throw new AppError('invalid_refresh_token', 'refresh token is not valid');
    const user = await this.users.findById(outcome.userId);
    if (!user) throw new AppError('invalid_refresh_token', 'refresh token is not valid');
    return {
      user,
      access_token: await this.tokens.sign(user.id, outcome.familyId),
      refresh_token: outcome.refreshToken,
      expires_in: this.tokens.ttlSeconds,
    };
  }

  /**
   * Revokes the family of the given refresh token and returns the session it
   * ended (null for an unknown token: logout is idempotent).
   */
  async logout(refreshToken: string): Promise<{ userId: UserId; sessionId: string } | null> {
    const outcome = await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ user_id: string; family_id: string }>(
        `UPDATE refresh_tokens SET revoked_at = now()
          WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)
            AND revoked_at IS NULL
          RETURNING user_id, family_id`,
        [sha256(refreshToken)],
      );
      if (!rows[0]) return null;
      const ended = { userId: rows[0].user_id, sessionId: rows[0].family_id };
      return { ended, revocation: await this.options.revoked.record(tx, ended.userId, [ended.sessionId]) };
    });
    if (!outcome) return null;
    const { ended, revocation } = outcome;
    this.options.audit.event('logout', { user_id: ended.userId, session_id: ended.sessionId });
    this.endSessions(ended.userId, ended.sessionId, revocation);
    return ended;
  }

  /**
   * After the revocation committed: every instance refuses the sessions'
   * access tokens, and closes their sockets (of one session, or of every
   * session of the user: null), within a bus hop.
   */
  private endSessions(userId: UserId, sessionId: string | null, revocation: Revocation): void {
    this.options.revoked.announce(revocation);
    this.options.notifier.control([userId], { type: 'revoke', sessionId });
  }

  /**
   * Changes the password after checking the current one, revokes every
   * session of the user, and starts a new one for the caller.
   */
  async changePassword(caller: VerifiedToken, currentPassword: string, newPassword: string): Promise<AuthResponse> {
    const { limiter, limits, audit } = this.options;
    const { userId } = caller;
    const record = await this.users.findRecordById(userId);
    if (!record || record.kind === 'bot') throw new AppError('invalid_credentials', 'current password is wrong');
    // Counted before the check, like a login: the right password is refused too while the budget is spent.
    const wait = await limiter.take(accountLimitKey(record.username), limits.login_account);
    if (wait > 0) {
      audit.event('rate_limited', { scope: 'password', user_id: userId });
      throw new AppError('rate_limited', 'too many password attempts; try again later', { retryAfter: wait });
    }
    if (!(await verifyPassword(record.password_hash, currentPassword))) {
      audit.event('password_change_failed', { user_id: userId });
      throw new AppError('invalid_credentials', 'current password is wrong');
    }
    const hash = await hashPassword(newPassword);
    const revocation = await this.db.transaction(async (tx) => {
      await tx.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userId, hash]);
      const ended = await tx.query<{ family_id: string }>(
        'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING family_id',
        [userId],
      );
      // Every session with a live refresh token, and the caller's own whatever the state of its refresh tokens.
      const sessions = new Set([caller.sessionId, ...ended.map((r) => r.family_id)]);
      return this.options.revoked.record(tx, userId, [...sessions]);
    });
    this.options.audit.event('password_changed', { user_id: userId });
    this.endSessions(userId, null, revocation);
    const { password_hash: _, ...view } = record;
    return this.issue(userId, view, crypto.randomUUID());
  }

  /** A one-use ticket standing for the caller's access token (same session, same expiry) for one handshake. */
  async issueWsTicket(token: VerifiedToken): Promise<WsTicketResponse> {
    const ticket = newOpaqueToken();
    await this.db.query(
      `INSERT INTO ws_tickets (ticket_hash, user_id, session_id, token_expires_at, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [sha256(ticket), token.userId, token.sessionId, token.expiresAt, TICKET_TTL_SECONDS],
    );
    // Expired tickets are swept as new ones are issued; there are never many.
    await this.db.query('DELETE FROM ws_tickets WHERE expires_at < now()');
    return { ticket, expires_in: TICKET_TTL_SECONDS };
  }

  /** Consumes a one-use ticket; returns the token it stands for, or null when unknown, used or expired. */
  async redeemWsTicket(ticket: string): Promise<VerifiedToken | null> {
    const [row] = await this.db.query<{ user_id: string; session_id: string; token_expires_at: number; valid: boolean }>(
      `DELETE FROM ws_tickets WHERE ticket_hash = $1
       RETURNING user_id, session_id, token_expires_at, expires_at > now() AS valid`,
      [sha256(ticket)],
    );
    if (!row?.valid) return null;
    // The ticket stands for its access token: a session ended since it was issued refuses it too.
    this.tokens.refuseEnded(row.session_id);
    return { userId: row.user_id, sessionId: row.session_id, expiresAt: Number(row.token_expires_at) };
  }

  private async issue(userId: UserId, user: AuthResponse['user'], familyId: string): Promise<AuthResponse> {
    const refreshToken = newOpaqueToken();
    await this.storeRefresh(this.db, refreshToken, userId, familyId);
    return {
      user,
      access_token: await this.tokens.sign(userId, familyId),
      refresh_token: refreshToken,
      expires_in: this.tokens.ttlSeconds,
    };
  }

  private async storeRefresh(
    sql: Pick<Database, 'query'>,
    token: string,
    userId: UserId,
    familyId: string,
  ): Promise<void> {
    await sql.query(
      `INSERT INTO refresh_tokens (id, token_hash, family_id, user_id, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [crypto.randomUUID(), sha256(token), familyId, userId, this.options.refreshTtlSeconds],
    );
  }
}
