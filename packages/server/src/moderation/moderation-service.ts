import type {
  ModerationActionBody,
  ModerationItemView,
  ModerationQueueQuery,
  ModerationRuleBody,
  ModerationRuleView,
  UserId,
} from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';
import { isUniqueViolation } from '../store/database.ts';
import { AppError } from '../errors.ts';
import type { Audit } from '../audit.ts';
import { isoSql, recordEvent } from '../events/outbox.ts';
import { CompiledRules, validateRule, type StoredRule } from './rules.ts';
import type { AfterCommit, MessageModerator } from './message-moderator.ts';
import type { Sanctions } from './sanctions.ts';

const ITEM_COLUMNS = `id, source, conversation_id, message_id, author_id, reason, rule_id, reporter_id, note, status, hidden,
  ${isoSql('created_at')} AS created_at, resolved_by, ${isoSql('resolved_at')} AS resolved_at`;
const RULE_COLUMNS = `id, kind, pattern, max_messages, window_seconds, created_by, ${isoSql('created_at')} AS created_at`;

/**
 * The review queue, rules, reports and operator actions. Every change is
 * audited and recorded as a moderation event in the same transaction.
 */
export class ModerationService {
  private compiled: { rules: CompiledRules; at: number } | null = null;

  constructor(
    private readonly db: Database,
    private readonly moderator: MessageModerator,
    private readonly sanctions: Sanctions,
    private readonly audit: Audit,
    /** How long the consumer keeps compiled rules before reading them again (another instance may have changed them). */
    private readonly rulesTtlMs = 2_000,
  ) {}

  // ---- rules -------------------------------------------------------------

  async addRule(actor: UserId, body: ModerationRuleBody): Promise<ModerationRuleView> {
    const rule = validateRule(body);
    const [row] = await this.db.query<ModerationRuleView>(
      `INSERT INTO moderation_rules (id, kind, pattern, max_messages, window_seconds, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${RULE_COLUMNS}`,
      [crypto.randomUUID(), rule.kind, rule.pattern, rule.max_messages, rule.window_seconds, actor],
    );
    this.compiled = null;
    this.audit.event('moderation_rule_added', { user_id: actor, rule_id: row!.id, kind: rule.kind });
    return row!;
  }

  async removeRule(actor: UserId, id: string): Promise<void> {
    const rows = await this.db.query('DELETE FROM moderation_rules WHERE id = $1 RETURNING 1', [id]);
    if (rows.length === 0) throw new AppError('not_found', 'no such rule');
    this.compiled = null;
    this.audit.event('moderation_rule_removed', { user_id: actor, rule_id: id });
  }

  listRules(): Promise<ModerationRuleView[]> {
    return this.db.query<ModerationRuleView>(`SELECT ${RULE_COLUMNS} FROM moderation_rules ORDER BY created_at, id`);
  }

  /** The rules compiled, re-read at most every `rulesTtlMs` (and at once after a change made here). */
  async rules(sql: Sql = this.db): Promise<CompiledRules> {
    if (this.compiled && Date.now() - this.compiled.at < this.rulesTtlMs) return this.compiled.rules;
    // Read with the caller's transaction: PGlite has one connection, which that transaction holds.
    const rows = await sql.query<StoredRule>('SELECT id, kind, pattern, max_messages, window_seconds FROM moderation_rules');
    this.compiled = { rules: new CompiledRules(rows), at: Date.now() };
    return this.compiled.rules;
  }

  // ---- rule hits (from the consumer) --------------------------------------

  /**
   * Records a hit in `tx` (the consumer's transaction) and hides the message
   * there; `afterCommit` takes the push of the hide entry. One rule hit per
   * message: a repeated event finds the item and changes nothing.
   */
  async recordHit(
    tx: Sql,
    hit: { conversationId: string; messageId: string; authorId: string; reason: string; ruleId: string | null },
    afterCommit: (task: AfterCommit) => void,
  ): Promise<void> {
    const [item] = await tx.query<{ id: string }>(
      `INSERT INTO moderation_items (id, source, conversation_id, message_id, author_id, reason, rule_id, hidden)
       VALUES ($1, 'rule', $2, $3, $4, $5, $6, true)
       ON CONFLICT (message_id) WHERE source = 'rule' DO NOTHING RETURNING id`,
      [crypto.randomUUID(), hit.conversationId, hit.messageId, hit.authorId, hit.reason, hit.ruleId],
    );
    if (!item) return;
    await recordEvent(tx, 'moderation.message_hidden', hit.conversationId, {
      conversation_id: hit.conversationId,
      message_id: hit.messageId,
      author_id: hit.authorId,
      item_id: item.id,
      reason: hit.reason,
      rule_id: hit.ruleId,
      actor_id: null,
    });
    const hidden = await this.moderator.hide(tx, hit.conversationId, hit.messageId, null, hit.reason);
    if (hidden) afterCommit(hidden);
    this.audit.event('message_hidden', { conversation_id: hit.conversationId, message_id: hit.messageId, item_id: item.id, reason: hit.reason });
  }

  // ---- reports -----------------------------------------------------------

  /** A member reports a message of a conversation they belong to; once per member per message. */
  /** A member reports a message of their conversation, by its seq (like every other per-message route). */
  async report(reporter: UserId, conversationId: string, seq: number, note: string | undefined): Promise<ModerationItemView> {
    try {
      return await this.db.transaction(async (tx) => {
        const [message] = await tx.query<{ id: string; sender_id: string }>(
          `SELECT m.id, m.sender_id FROM messages m
             JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $3
            WHERE m.seq = $2 AND m.conversation_id = $1 AND m.kind = 'message'`,
          [conversationId, seq, reporter],
        );
        // Not a member, or no such message there: the same answer, so reports reveal nothing.
        if (!message) throw new AppError('not_found', 'no such message');
        const messageId = message.id;
        const [item] = await tx.query<ModerationItemView>(
          `INSERT INTO moderation_items (id, source, conversation_id, message_id, author_id, reason, reporter_id, note)
           VALUES ($1, 'report', $2, $3, $4, 'report', $5, $6) RETURNING ${ITEM_COLUMNS}`,
          [crypto.randomUUID(), conversationId, messageId, message.sender_id, reporter, note ?? null],
        );
        await recordEvent(tx, 'moderation.message_reported', conversationId, {
          conversation_id: conversationId,
          message_id: messageId,
          author_id: message.sender_id,
          reporter_id: reporter,
          item_id: item!.id,
        });
        this.audit.event('message_reported', { user_id: reporter, conversation_id: conversationId, message_id: messageId, item_id: item!.id });
        return item!;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('already_reported', 'you already reported this message');
      throw err;
    }
  }

  // ---- the queue ---------------------------------------------------------

  queue(query: ModerationQueueQuery): Promise<ModerationItemView[]> {
    const status = query.status ?? 'open';
    const where = status === 'open' ? "WHERE status = 'open'" : status === 'resolved' ? "WHERE status <> 'open'" : '';
    // The operator sees the text the members no longer do (the row keeps it while hidden).
    return this.db.query<ModerationItemView>(
      `SELECT i.*, m.content->>'text' AS message_text, a.username AS author_username, r.username AS reporter_username
         FROM (SELECT ${ITEM_COLUMNS} FROM moderation_items ${where} ORDER BY created_at DESC, id LIMIT $1) i
         LEFT JOIN messages m ON m.id = i.message_id
         JOIN users a ON a.id = i.author_id
         LEFT JOIN users r ON r.id = i.reporter_id
        ORDER BY i.created_at DESC, i.id`,
      [query.limit ?? 50],
    );
  }

  /**
   * An operator's decision on a queue item. `restore` shows the message again;
   * the others keep it hidden (hiding a reported one) and may act on its
   * author. `confirm` is the verdict on the content: its files are removed
   * from storage, as a delete's are (a restore after that brings back the text
   * only); warn / mute / ban are about the author and keep the files, so the
   * message can still be restored whole.
   */
  async act(actor: UserId, itemId: string, body: ModerationActionBody): Promise<ModerationItemView> {
    const pushes: AfterCommit[] = [];
    const { item, purge } = await this.db.transaction(async (tx) => {
      const [item] = await tx.query<ModerationItemView>(`SELECT ${ITEM_COLUMNS} FROM moderation_items WHERE id = $1 FOR UPDATE`, [itemId]);
      if (!item) throw new AppError('not_found', 'no such queue item');
      const status = body.action === 'restore' ? 'restored' : body.action === 'confirm' ? 'confirmed' : body.action === 'warn' ? 'warned' : body.action === 'mute' ? 'muted' : 'banned';
      const hidden = body.action !== 'restore';
      const [was] = await tx.query<{ hidden: boolean }>('SELECT bool_or(hidden) AS hidden FROM moderation_items WHERE message_id = $1', [item.message_id]);
      const wasHidden = was?.hidden === true;
      // Every open item of the same message follows the decision (a rule hit and its reports).
      await tx.query(
        `UPDATE moderation_items SET hidden = $2,
                status = CASE WHEN id = $3 OR status = 'open' THEN $4 ELSE status END,
                resolved_by = CASE WHEN id = $3 OR status = 'open' THEN $5::uuid ELSE resolved_by END,
                resolved_at = CASE WHEN id = $3 OR status = 'open' THEN now() ELSE resolved_at END
          WHERE message_id = $1`,
        [item.message_id, hidden, itemId, status, actor],
      );
      const changed =
        body.action === 'restore'
          ? await this.moderator.restore(tx, item.conversation_id, item.message_id, actor)
          : await this.moderator.hide(tx, item.conversation_id, item.message_id, actor, item.reason);
      if (changed) pushes.push(changed);
      if (body.action === 'restore') {
        if (wasHidden) {
          await recordEvent(tx, 'moderation.message_restored', item.conversation_id, {
            conversation_id: item.conversation_id,
            message_id: item.message_id,
            item_id: itemId,
            actor_id: actor,
          });
        }
      } else {
        if (!wasHidden) {
          await recordEvent(tx, 'moderation.message_hidden', item.conversation_id, {
            conversation_id: item.conversation_id,
            message_id: item.message_id,
            author_id: item.author_id,
            item_id: itemId,
            reason: item.reason,
            rule_id: item.rule_id,
            actor_id: actor,
          });
        }
        let until: string | null = null;
        if (body.action === 'mute' || body.action === 'ban') {
          until = await this.sanctions.impose(tx, item.author_id, body.action, body.duration_seconds ?? null, actor, itemId);
        }
        await recordEvent(tx, 'moderation.action_taken', item.author_id, {
          user_id: item.author_id,
          action: body.action,
          item_id: itemId,
          actor_id: actor,
          until,
        });
      }
      const [updated] = await tx.query<ModerationItemView>(`SELECT ${ITEM_COLUMNS} FROM moderation_items WHERE id = $1`, [itemId]);
      return { item: updated!, purge: body.action === 'confirm' };
    });
    for (const push of pushes) await push();
    if (body.action === 'mute' || body.action === 'ban') await this.sanctions.reload();
    // After the commit: if removing the files fails, repeating the action repeats it (the hide is not written twice).
    if (purge) await this.moderator.discardFiles(item.message_id);
    this.audit.event('moderation_action', {
      user_id: actor,
      item_id: itemId,
      action: body.action,
      target_user_id: item.author_id,
      duration_seconds: body.duration_seconds ?? null,
    });
    return item;
  }

  /** Lifts a mute or ban early. */
  async lift(actor: UserId, userId: UserId, kind: 'mute' | 'ban'): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await this.sanctions.lift(tx, userId, kind))) throw new AppError('not_found', `no ${kind} on this user`);
      await recordEvent(tx, 'moderation.action_taken', userId, {
        user_id: userId,
        action: kind === 'mute' ? 'unmute' : 'unban',
        item_id: null,
        actor_id: actor,
        until: null,
      });
    });
    await this.sanctions.reload();
    this.audit.event('sanction_lifted', { user_id: actor, target_user_id: userId, kind });
  }
}
