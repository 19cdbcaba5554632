import { createHash, randomBytes } from 'node:crypto';
import type { BotSessionResponse, BotTokenView, BotView, CreateBotBody, CreateBotTokenBody, CreatedBotToken, UserId } from '@parley/protocol';
import type { Database } from '../store/database.ts';
import { AppError } from '../errors.ts';
import { isUniqueViolation } from '../store/database.ts';
import { storedName } from '../users/names.ts';
import { eventColumnsSql } from '../events/outbox.ts';
import type { AccessTokens } from '../auth/access-tokens.ts';
import type { RevokedSessions } from '../auth/revoked-sessions.ts';
import type { Notifier } from '../bus/notifier.ts';
import type { Audit } from '../audit.ts';

/** Bot tokens start with this, so a leaked one is recognisable (secret scanners, logs). */
export const BOT_TOKEN_PREFIX = 'pbt_';
/** A bot's password hash: no argon2 hash looks like this, so no password ever verifies (login refuses bots first anyway). */
const NO_PASSWORD = '!bot';

export const sha256 = (secret: string): string => createHash('sha256').update(secret).digest('base64url');

interface TokenRow {
  id: string;
  bot_id: string;
  name: string;
  conversation_ids: string[] | null;
  can_read: boolean;
  can_send: boolean;
  created_at: Date;
  revoked_at: Date | null;
}

const toTokenView = (r: TokenRow): BotTokenView => ({
  id: r.id,
  bot_id: r.bot_id,
  name: r.name,
  conversation_ids: r.conversation_ids,
  read: r.can_read,
  send: r.can_send,
  created_at: r.created_at.toISOString(),
  revoked_at: r.revoked_at?.toISOString() ?? null,
});

/**
 * Bot accounts and their tokens. A bot is a user of kind `bot` without a
 * password; its owner (the user who created it, or an operator) creates
 * long-lived tokens for it, each shown once and stored hashed, optionally
 * scoped to some conversations and to reading or sending. A token is
 * exchanged for short access tokens whose session is the token itself, so
 * revoking it is a session revocation: every instance refuses its access
 * tokens within a second (RevokedSessions) and its sockets close.
 */
export class BotService {
  constructor(
    private readonly db: Database,
    private readonly deps: { tokens: AccessTokens; revoked: RevokedSessions; notifier: Notifier; audit: Audit },
  ) {}

  /** Creates a bot owned by `owner` (null: created by the operator `actor`, owned by no user). */
  async create(owner: UserId | null, body: CreateBotBody, actor: UserId | null = owner): Promise<BotView> {
    const displayName = storedName('display_name', body.display_name ?? body.username);
    try {
      const [row] = await this.db.query<{ id: string; username: string; display_name: string; created_at: Date }>(
        `WITH created AS (
           INSERT INTO users (id, username, display_name, password_hash, kind, owner_id)
           VALUES ($1, $2, $3, $4, 'bot', $5)
           RETURNING id, username, display_name, created_at
         ), event AS (
           INSERT INTO outbox (event_id, type, schema_version, topic, key, occurred_at, payload)
           SELECT gen_random_uuid(), ${eventColumnsSql('user.registered')}, id, created_at,
                  jsonb_build_object('user_id', id, 'username', username, 'display_name', display_name)
             FROM created
         )
         SELECT * FROM created`,
        [crypto.randomUUID(), body.username.toLowerCase(), displayName, NO_PASSWORD, owner],
      );
      this.deps.audit.event('bot_created', { bot_id: row!.id, user_id: actor, owner_id: owner });
      return { id: row!.id, username: row!.username, display_name: row!.display_name, kind: 'bot', owner_id: owner, created_at: row!.created_at.toISOString() };
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('username_taken', 'that username is taken');
      throw err;
    }
  }

  async list(owner: UserId): Promise<BotView[]> {
    const rows = await this.db.query<{ id: string; username: string; display_name: string; created_at: Date }>(
      `SELECT id, username, display_name, created_at FROM users WHERE kind = 'bot' AND owner_id = $1 ORDER BY created_at, id`,
      [owner],
    );
    return rows.map((r) => ({ ...r, kind: 'bot' as const, owner_id: owner, created_at: r.created_at.toISOString() }));
  }

  /**
   * Every bot, whoever owns it (for operators). Webhook users are left out:
   * they are the webhooks' own, managed with their webhook.
   */
  async listAll(): Promise<BotView[]> {
    const rows = await this.db.query<{ id: string; username: string; display_name: string; owner_id: string | null; created_at: Date }>(
      `SELECT id, username, display_name, owner_id, created_at FROM users u
        WHERE kind = 'bot' AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.sender_id = u.id)
        ORDER BY created_at, id`,
    );
    return rows.map((r) => ({ ...r, kind: 'bot' as const, created_at: r.created_at.toISOString() }));
  }

  /** Creates a token; the secret is in the answer and nowhere else. `operator`: the caller is a server operator, any bot will do. */
  async createToken(caller: UserId, botId: UserId, body: CreateBotTokenBody, operator = false): Promise<CreatedBotToken> {
    await this.mayManage(caller, botId, operator);
    const token = BOT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const [row] = await this.db.query<TokenRow>(
      `INSERT INTO bot_tokens (id, bot_id, token_hash, name, conversation_ids, can_read, can_send, created_by)
       VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7, $8)
       RETURNING id, bot_id, name, conversation_ids, can_read, can_send, created_at, revoked_at`,
      [crypto.randomUUID(), botId, sha256(token), body.name, body.conversation_ids ?? null, body.read ?? true, body.send ?? true, caller],
    );
    this.deps.audit.event('bot_token_created', { bot_id: botId, token_id: row!.id, user_id: caller });
    return { ...toTokenView(row!), token };
  }

  async listTokens(caller: UserId, botId: UserId, operator = false): Promise<BotTokenView[]> {
    await this.mayManage(caller, botId, operator);
    const rows = await this.db.query<TokenRow>(
      `SELECT id, bot_id, name, conversation_ids, can_read, can_send, created_at, revoked_at
         FROM bot_tokens WHERE bot_id = $1 ORDER BY created_at, id`,
      [botId],
    );
    return rows.map(toTokenView);
  }

  /** Revokes a token: refused at once here, within a second on every instance; its sockets close. Idempotent. */
  async revokeToken(caller: UserId, botId: UserId, tokenId: string, operator = false): Promise<void> {
    await this.mayManage(caller, botId, operator);
    const revocation = await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: string }>(
        'UPDATE bot_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND bot_id = $2 RETURNING id',
        [tokenId, botId],
      );
      if (!rows[0]) return null;
      return this.deps.revoked.record(tx, botId, [tokenId]);
    });
    if (!revocation) throw new AppError('bot_token_not_found', 'this bot has no such token');
    this.deps.revoked.announce(revocation);
    this.deps.notifier.control([botId], { type: 'revoke', sessionId: tokenId });
    this.deps.audit.event('bot_token_revoked', { bot_id: botId, token_id: tokenId, user_id: caller });
  }

  /** Exchanges a bot token for an access token carrying its scope. Unknown and revoked tokens get the same answer. */
  async login(token: string, ip: string): Promise<BotSessionResponse> {
    const [row] = await this.db.query<TokenRow & { username: string; display_name: string }>(
      `SELECT t.id, t.bot_id, t.name, t.conversation_ids, t.can_read, t.can_send, t.created_at, t.revoked_at,
              u.username, u.display_name
         FROM bot_tokens t JOIN users u ON u.id = t.bot_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
      [sha256(token)],
    );
    if (!row) {
      this.deps.audit.event('login_failed', { user_id: null, ip, via: 'bot_token' });
      // The code of a wrong password: a bot token is a bot's credentials.
      throw new AppError('invalid_credentials', 'bot token is not valid');
    }
    this.deps.audit.event('login_succeeded', { user_id: row.bot_id, ip, via: 'bot_token', token_id: row.id });
    const scope = { conversations: row.conversation_ids, read: row.can_read, send: row.can_send };
    return {
      user: { id: row.bot_id, username: row.username, display_name: row.display_name, kind: 'bot' },
      access_token: await this.deps.tokens.sign(row.bot_id, row.id, undefined, scope),
      expires_in: this.deps.tokens.ttlSeconds,
    };
  }

  /** The caller owns the bot, or is an operator and it is a bot (not a webhook's user). */
  private async mayManage(caller: UserId, botId: UserId, operator: boolean): Promise<void> {
    const [row] = await this.db.query<{ owner_id: string | null; webhook: boolean }>(
      `SELECT owner_id, EXISTS (SELECT 1 FROM webhooks w WHERE w.sender_id = u.id) AS webhook FROM users u WHERE id = $1 AND kind = 'bot'`,
      [botId],
    );
    // Someone else's bot is as invisible as a bot that does not exist.
    if (!row || (operator ? row.webhook : row.owner_id !== caller)) throw new AppError('not_found', 'no such bot');
  }
}
