import { createHash, randomBytes } from 'node:crypto';
import type { AuthResponse, LoginBody, RegisterBody, UserId, WsTicketResponse } from '@parley/protocol';
import type { Database } from '../store/database.ts';
import { AppError } from '../errors.ts';
import { UsersRepo } from '../users/users-repo.ts';
import { burnVerify, hashPassword, verifyPassword } from './passwords.ts';
import type { AccessTokens } from './access-tokens.ts';

const TICKET_TTL_SECONDS = 30;

function sha256(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

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
    private readonly refreshTtlSeconds: number,
  ) {
    this.users = new UsersRepo(db);
  }

  async register(body: RegisterBody): Promise<AuthResponse> {
    const passwordHash = await hashPassword(body.password);
    const user = await this.users.create({
      username: body.username,
      displayName: body.display_name ?? body.username,
      passwordHash,
    });
    return this.issue(user.id, user, crypto.randomUUID());
  }

  async login(body: LoginBody): Promise<AuthResponse> {
    const record = await this.users.findByUsername(body.username);
    const ok = record ? await verifyPassword(record.password_hash, body.password) : await burnVerify(body.password);
    if (!record || !ok) throw new AppError('invalid_credentials', 'wrong username or password');
    const { password_hash: _, ...user } = record;
    return this.issue(user.id, user, crypto.randomUUID());
  }

  async refresh(refreshToken: string): Promise<AuthResponse> {
    const hash = sha256(refreshToken);
    const outcome = await this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: string; family_id: string; user_id: string; used: boolean; valid: boolean }>(
        `SELECT id, family_id, user_id, used_at IS NOT NULL AS used,
                (revoked_at IS NULL AND expires_at > now()) AS valid
           FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
        [hash],
      );
      if (!row || !row.valid) return { kind: 'invalid' as const };
      if (row.used) {
        await tx.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [
          row.family_id,
        ]);
        return { kind: 'reused' as const };
      }
      await tx.query('UPDATE refresh_tokens SET used_at = now() WHERE id = $1', [row.id]);
      const next = newOpaqueToken();
      await this.storeRefresh(tx, next, row.user_id, row.family_id);
      return { kind: 'ok' as const, userId: row.user_id, refreshToken: next };
    });
    // The revocation must commit, so the error is thrown after the transaction.
    if (outcome.kind === 'reused') {
      throw new AppError('refresh_token_reused', 'refresh token already used; the session is revoked');
    }
    if (outcome.kind === 'invalid') throw new AppError('invalid_refresh_token', 'refresh token is not valid');
    const user = await this.users.findById(outcome.userId);
    if (!user) throw new AppError('invalid_refresh_token', 'refresh token is not valid');
    return {
      user,
      access_token: await this.tokens.sign(user.id),
      refresh_token: outcome.refreshToken,
      expires_in: this.tokens.ttlSeconds,
    };
  }

  /** Revokes the family of the given refresh token. Unknown tokens are ignored: logout is idempotent. */
  async logout(refreshToken: string): Promise<void> {
    await this.db.query(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE revoked_at IS NULL
          AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`,
      [sha256(refreshToken)],
    );
  }

  async issueWsTicket(userId: UserId): Promise<WsTicketResponse> {
    const ticket = newOpaqueToken();
    await this.db.query(
      `INSERT INTO ws_tickets (ticket_hash, user_id, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [sha256(ticket), userId, TICKET_TTL_SECONDS],
    );
    // Expired tickets are swept as new ones are issued; there are never many.
    await this.db.query('DELETE FROM ws_tickets WHERE expires_at < now()');
    return { ticket, expires_in: TICKET_TTL_SECONDS };
  }

  /** Consumes a one-use ticket; returns its user, or null when unknown, used or expired. */
  async redeemWsTicket(ticket: string): Promise<UserId | null> {
    const [row] = await this.db.query<{ user_id: string; valid: boolean }>(
      'DELETE FROM ws_tickets WHERE ticket_hash = $1 RETURNING user_id, expires_at > now() AS valid',
      [sha256(ticket)],
    );
    return row?.valid ? row.user_id : null;
  }

  private async issue(userId: UserId, user: AuthResponse['user'], familyId: string): Promise<AuthResponse> {
    const refreshToken = newOpaqueToken();
    await this.storeRefresh(this.db, refreshToken, userId, familyId);
    return {
      user,
      access_token: await this.tokens.sign(userId),
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
      [crypto.randomUUID(), sha256(token), familyId, userId, this.refreshTtlSeconds],
    );
  }
}
