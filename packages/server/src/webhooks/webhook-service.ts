import { randomBytes } from 'node:crypto';
import type { ConversationId, CreatedWebhook, IntegrationView, MessageContent, UserId, WebhookPostBody, WebhookPosted, WebhookView } from '@parley/protocol';
import type { Database } from '../store/database.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { roleOf } from '../conversations/conversations-repo.ts';
import { notFound, type ConversationsService } from '../conversations/conversations-service.ts';
import type { MessagingService } from '../messaging/messaging-service.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { Audit } from '../audit.ts';
import { sha256 } from '../bots/bot-service.ts';
import { storedName } from '../users/names.ts';

export const WEBHOOK_TOKEN_PREFIX = 'whk_';

interface WebhookRow {
  id: string;
  conversation_id: string;
  sender_id: string;
  name: string;
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
}

const toView = (r: WebhookRow): WebhookView => ({
  id: r.id,
  conversation_id: r.conversation_id,
  name: r.name,
  sender_id: r.sender_id,
  created_by: r.created_by,
  created_at: r.created_at.toISOString(),
  revoked_at: r.revoked_at?.toISOString() ?? null,
});

/**
 * Incoming webhooks: a group admin creates a secret URL that posts into the
 * group. Each webhook posts as a bot user of its own (created with it, added
 * to the group, so membership, ordering and fan-out are a send like any
 * other), and every entry it posts says so in `integration`. The secret is
 * stored hashed and shown once; a revoked or unknown one gets 404. Posts are
 * limited per webhook like a user's sends (`RATE_LIMIT_MESSAGES`), besides
 * the per-address limit of public routes.
 */
export class WebhookService {
  constructor(
    private readonly db: Database,
    private readonly deps: {
      conversations: ConversationsService;
      messaging: MessagingService;
      limiter: RateLimiter;
      limits: Pick<Config['limits'], 'messages'>;
      audit: Audit;
    },
  ) {}

  async create(me: UserId, conversationId: ConversationId, name: string): Promise<CreatedWebhook> {
    await this.requireAdmin(me, conversationId);
    const display = storedName('name', name);
    const id = crypto.randomUUID();
    const senderId = crypto.randomUUID();
    await this.db.query(
      `INSERT INTO users (id, username, display_name, password_hash, kind, owner_id) VALUES ($1, $2, $3, '!bot', 'bot', NULL)`,
      // No owner: nobody can make tokens for a webhook's user.
      [senderId, `webhook-${id.slice(0, 8)}-${id.slice(9, 13)}`, display],
    );
    // Adds the webhook's user to the group (the group sees a `members_added` entry): it posts as a member.
    await this.deps.conversations.addMembers(me, conversationId, [senderId]);
    const token = WEBHOOK_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const [row] = await this.db.query<WebhookRow>(
      `INSERT INTO webhooks (id, conversation_id, sender_id, secret_hash, name, created_by) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, conversation_id, sender_id, name, created_by, created_at, revoked_at`,
      [id, conversationId, senderId, sha256(token), display, me],
    );
    this.deps.audit.event('webhook_created', { webhook_id: id, conversation_id: conversationId, user_id: me });
    return { ...toView(row!), token, path: `/api/v1/hooks/${token}` };
  }

  async list(me: UserId, conversationId: ConversationId): Promise<WebhookView[]> {
    if (!(await roleOf(this.db, conversationId, me))) throw notFound();
    const rows = await this.db.query<WebhookRow>(
      `SELECT id, conversation_id, sender_id, name, created_by, created_at, revoked_at
         FROM webhooks WHERE conversation_id = $1 ORDER BY created_at, id`,
      [conversationId],
    );
    return rows.map(toView);
  }

  /** Revokes a webhook: its URL answers 404 from now on. Idempotent. */
  async revoke(me: UserId, conversationId: ConversationId, webhookId: string): Promise<void> {
    await this.requireAdmin(me, conversationId);
    const rows = await this.db.query(
      'UPDATE webhooks SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND conversation_id = $2 RETURNING id',
      [webhookId, conversationId],
    );
    if (rows.length === 0) throw new AppError('webhook_not_found', 'no such webhook');
    this.deps.audit.event('webhook_revoked', { webhook_id: webhookId, conversation_id: conversationId, user_id: me });
  }

  /** Posts a message through a webhook URL. Unknown and revoked secrets get the same 404. */
  async post(token: string, body: WebhookPostBody, ip: string): Promise<WebhookPosted> {
    const [hook] = await this.db.query<WebhookRow>(
      `SELECT id, conversation_id, sender_id, name, created_by, created_at, revoked_at
         FROM webhooks WHERE secret_hash = $1 AND revoked_at IS NULL`,
      [sha256(token)],
    );
    if (!hook) throw new AppError('webhook_not_found', 'no such webhook');
    const wait = await this.deps.limiter.take(`webhook:${hook.id}`, this.deps.limits.messages);
    if (wait > 0) {
      this.deps.audit.event('rate_limited', { scope: 'webhook', webhook_id: hook.id, ip });
      throw new AppError('rate_limited', 'too many messages through this webhook', { retryAfter: wait });
    }
    const integration: IntegrationView = {
      webhook_id: hook.id,
      name: hook.name,
      ...(body.display_name !== undefined ? { display_name: storedName('display_name', body.display_name) } : {}),
    };
    // Stored in the content, lifted beside the message in every view (log-repo's toMessageView).
    const content = { type: 'text', text: body.text, client_msg_id: crypto.randomUUID(), sent_at: new Date().toISOString(), integration };
    const { entry } = await this.deps.messaging.send(hook.sender_id, hook.conversation_id, content as MessageContent);
    this.deps.audit.event('webhook_posted', { webhook_id: hook.id, conversation_id: hook.conversation_id, ip, seq: entry.seq });
    return { message_id: entry.message_id, seq: entry.seq };
  }

  private async requireAdmin(me: UserId, conversationId: ConversationId): Promise<void> {
    const role = await roleOf(this.db, conversationId, me);
    if (!role) throw notFound();
    const [conv] = await this.db.query<{ type: string }>('SELECT type FROM conversations WHERE id = $1', [conversationId]);
    if (conv?.type !== 'group' || role !== 'admin') throw new AppError('forbidden', 'only the admins of a group can manage its webhooks');
  }
}
