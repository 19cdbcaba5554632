import {
  MAX_REACTION_EMOJI,
  MAX_REACTIONS_PER_MEMBER,
  MAX_PINS,
  type Mentions,
  isReactionEmoji,
  type ChangeContent,
  type ConversationId,
  type MessageContent,
  type MessageId,
  type MessageView,
  type Seq,
  type UserId,
} from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';
import type { Notifier } from '../bus/notifier.ts';
import { AppError } from '../errors.ts';
import { memberIds } from '../conversations/conversations-repo.ts';
import { notFound } from '../conversations/conversations-service.ts';
import { recordEvent } from '../events/outbox.ts';
import { resolveMentions } from './mentions.ts';
import { ENTRY_COLUMNS, toMessageView, type EntryRow } from './log-repo.ts';

/** What a member asks to do to a message of a conversation (by its seq). */
export type ChangeRequest =
  | { kind: 'edit'; seq: Seq; text: string; clientMsgId: string }
  | { kind: 'delete'; seq: Seq }
  | { kind: 'react'; seq: Seq; emoji: string; action: 'add' | 'remove' }
  | { kind: 'pin'; seq: Seq; action: 'pin' | 'unpin' };

export interface ChangeResult {
  /** The change's log entry (for a duplicate, the entry that made the state asked for). */
  entry: MessageView;
  /** True when nothing changed: a retried edit, a second delete, a reaction already there (or already gone). */
  duplicate: boolean;
}

/** Told after a change to a message committed (attachments of a deleted message are removed from here). */
export type ChangeListener = (change: { conversationId: ConversationId; messageId: MessageId; change: ChangeContent['change'] }) => void;

interface Target {
  id: string;
  sender_id: string;
  kind: string;
  text: string | null;
  client_msg_id: string | null;
  deleted: boolean;
  hidden: boolean;
  created_at: Date;
}

/**
 * What moderation does to a message (never a member's request: only the
 * moderation service asks, for a rule hit or an operator's decision).
 */
export type ModerationChange = { kind: 'hidden'; reason: string } | { kind: 'restored' };

/** An edit's entry always says who the new text mentions, so a client can drop mentions an edit took back. */
const NO_MENTIONS: Mentions = { user_ids: [], everyone: false };
const messageNotFound = () => new AppError('message_not_found', 'no such message in this conversation');
const messageDeleted = () => new AppError('message_deleted', 'the message was deleted');
const messageHidden = () => new AppError('message_hidden', 'the message is hidden by moderation');
const TARGET_COLUMNS = `id, sender_id, kind, content->>'text' AS text, client_msg_id, deleted_at IS NOT NULL AS deleted,
  hidden_at IS NOT NULL AS hidden, created_at`;

/**
 * Edits, deletes and reactions. Each accepted change is one transaction: the
 * conversation's counter row is locked first (as the message writer does, so
 * the two never deadlock), the request is authorised and checked, the target
 * message's state is changed, a `change` entry takes the next seq, and its
 * outbox event is written; the entry is then pushed to the members like a
 * message. A refused request stores nothing. Moderation's hidden / restored
 * are written the same way by `moderate`, which members cannot reach.
 */
export class MessageChanges {
  private readonly listeners: ChangeListener[] = [];

  constructor(
    private readonly db: Database,
    private readonly notifier: Notifier,
  ) {}

  /**
   * Registers a listener told after each committed change. The seam for
   * attachments (#14): on `deleted`, remove the message's files here.
   */
  onChanged(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  async apply(me: UserId, conversationId: ConversationId, request: ChangeRequest): Promise<ChangeResult> {
    if (request.kind === 'react' && !isReactionEmoji(request.emoji)) {
      throw new AppError('invalid_emoji', 'a reaction is exactly one emoji');
    }
    const outcome = await this.db.transaction(async (tx) => {
      const [conv] = await tx.query<{ member_count: number; type: string; role: string; pin_policy: string }>(
        `SELECT c.member_count, c.type, cm.role, c.pin_policy
           FROM conversations c JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $2
          WHERE c.id = $1 FOR UPDATE OF c`,
        [conversationId, me],
      );
      if (!conv) throw notFound();
      if (request.kind === 'edit') {
        const [earlier] = await tx.query<EntryRow>(
          `SELECT ${ENTRY_COLUMNS} FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND client_msg_id = $3`,
          [conversationId, me, request.clientMsgId],
        );
        if (earlier) return { entry: toMessageView(earlier), duplicate: true, memberCount: conv.member_count };
      }
      const [target] = await tx.query<Target>(
        `SELECT ${TARGET_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq = $2 FOR UPDATE`,
        [conversationId, request.seq],
      );
      if (!target || target.kind !== 'message') throw messageNotFound();
      const change = await this.change(tx, me, conversationId, conv, target, request);
      if ('duplicate' in change) return { ...change, memberCount: conv.member_count };
      const entry = await appendChange(tx, conversationId, me, request.kind === 'edit' ? request.clientMsgId : null, change.content, request.kind === 'edit' ? (change.mentions ?? NO_MENTIONS) : null);
      await tx.query('UPDATE messages SET last_change_seq = $3 WHERE conversation_id = $1 AND seq = $2', [conversationId, request.seq, entry.seq]);
      await recordChangeEvent(tx, entry, change.content, me);
      return { entry, duplicate: false, memberCount: conv.member_count };
    });
    if (!outcome.duplicate) await this.committed(conversationId, outcome.memberCount, outcome.entry);
    return { entry: outcome.entry, duplicate: outcome.duplicate };
  }

  /**
   * Hides or restores a message for moderation, in the caller's transaction
   * (the consumer's that marks the event handled, or the operator action's):
   * the counter row locked, the target's state changed, a `hidden` /
   * `restored` entry (actor: the operator, or for a rule hit the author) and
   * its outbox event written. Returns what to run once `tx` commits (the push
   * and the listeners), or null when the message already is in that state, is
   * deleted or is gone: a redelivered event or a repeated action writes nothing.
   * Hiding also strips the text of the message's earlier change entries (an
   * edit's, a restore's), which sync would replay; the message row keeps its
   * text and attachments, which a restore entry carries back to the clients.
   */
  async moderate(tx: Sql, conversationId: ConversationId, messageId: MessageId, actor: UserId | null, change: ModerationChange): Promise<(() => Promise<void>) | null> {
    const [conv] = await tx.query<{ member_count: number }>('SELECT member_count FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
    if (!conv) return null;
    const [target] = await tx.query<Target & { seq: number; content: MessageContent & { integration?: unknown } }>(
      `SELECT ${TARGET_COLUMNS}, seq, content FROM messages WHERE conversation_id = $1 AND id = $2 FOR UPDATE`,
      [conversationId, messageId],
    );
    if (!target || target.kind !== 'message' || target.deleted || target.hidden === (change.kind === 'hidden')) return null;
    const base = { type: 'change' as const, target_seq: target.seq, target_id: target.id };
    let content: ChangeContent;
    if (change.kind === 'hidden') {
      await tx.query('UPDATE messages SET hidden_at = now(), hidden_reason = $2 WHERE id = $1', [target.id, change.reason]);
      await stripChangeText(tx, conversationId, target.seq);
      content = { ...base, change: 'hidden' };
    } else {
      await tx.query('UPDATE messages SET hidden_at = NULL, hidden_reason = NULL WHERE id = $1', [target.id]);
      const { integration: _kept, ...restored } = target.content;
      content = { ...base, change: 'restored', restored };
    }
    const by = actor ?? target.sender_id;
    const entry = await appendChange(tx, conversationId, by, null, content);
    await tx.query('UPDATE messages SET last_change_seq = $2 WHERE id = $1', [target.id, entry.seq]);
    await recordChangeEvent(tx, entry, content, by);
    return () => this.committed(conversationId, conv.member_count, entry);
  }

  /** After a change committed: pushed to the members like a message, then the listeners told. */
  private async committed(conversationId: ConversationId, memberCount: number, entry: MessageView): Promise<void> {
    const large = this.notifier.policy.isLargeRoom(memberCount);
    this.notifier.toConversation(conversationId, large ? null : await memberIds(this.db, conversationId), { type: 'message', ...entry });
    const content = entry.message as ChangeContent;
    for (const listener of this.listeners) listener({ conversationId, messageId: content.target_id, change: content.change });
  }

  /** Checks the request against the target and changes its state; returns the change entry's content, or the duplicate answer. */
  private async change(
    tx: Sql,
    me: UserId,
    conversationId: ConversationId,
    conv: { type: string; role: string; pin_policy: string },
    target: Target,
    request: ChangeRequest,
  ): Promise<{ content: ChangeContent; mentions?: Mentions | null } | { entry: MessageView; duplicate: true }> {
    const base = { type: 'change' as const, target_seq: request.seq, target_id: target.id };
    switch (request.kind) {
      case 'edit': {
        if (target.sender_id !== me) throw new AppError('forbidden', 'only the author can edit a message');
        if (target.deleted) throw messageDeleted();
        if (target.hidden) throw messageHidden();
        // Mentions of the new text replace the old ones (an edit may add or take back a mention).
        const mentions = await resolveMentions(tx, me, conversationId, request.text);
        // The text being replaced joins the history (version 1 is the text as sent).
        await tx.query(
          `INSERT INTO message_edits (message_id, version, text)
           SELECT $1, coalesce(max(version), 0) + 1, $2 FROM message_edits WHERE message_id = $1`,
          [target.id, target.text ?? ''],
        );
        await tx.query(
          `UPDATE messages SET content = jsonb_set(content - 'mentions', '{text}', to_jsonb($2::text)) || COALESCE($3::jsonb, '{}'::jsonb), edited_at = now()
            WHERE id = $1`,
          [target.id, request.text, mentions ? JSON.stringify({ mentions }) : null],
        );
        return { content: { ...base, change: 'edited', client_msg_id: request.clientMsgId, text: request.text }, mentions };
      }
      case 'delete': {
        if (target.deleted) return duplicateOf(await lastChange(tx, conversationId, request.seq, "content->>'change' = 'deleted'", []));
        const admin = conv.type === 'group' && conv.role === 'admin';
        if (target.sender_id !== me && !admin) throw new AppError('forbidden', 'only the author or a group admin can delete a message');
        await redact(tx, conversationId, request.seq, target);
        return { content: { ...base, change: 'deleted' } };
      }
      case 'react': {
        if (target.deleted) throw messageDeleted();
        if (target.hidden) throw messageHidden();
        const [state] = await tx.query<{ mine: boolean; my_count: number; emoji_known: boolean; distinct_emoji: number }>(
          `SELECT bool_or(user_id = $2 AND emoji = $3) AS mine, count(*) FILTER (WHERE user_id = $2)::int AS my_count,
                  bool_or(emoji = $3) AS emoji_known, count(DISTINCT emoji)::int AS distinct_emoji
             FROM message_reactions WHERE message_id = $1`,
          [target.id, me, request.emoji],
        );
        const mine = state?.mine === true;
        if (request.action === 'add') {
          if (mine) return duplicateOf(await lastChange(tx, conversationId, request.seq, reactionBy('reaction_added'), [me, request.emoji]));
          if (!state?.emoji_known && (state?.distinct_emoji ?? 0) >= MAX_REACTION_EMOJI) {
            throw new AppError('too_many_reactions', `a message carries at most ${MAX_REACTION_EMOJI} different emoji`);
          }
          if ((state?.my_count ?? 0) >= MAX_REACTIONS_PER_MEMBER) {
            throw new AppError('too_many_reactions', `one member puts at most ${MAX_REACTIONS_PER_MEMBER} reactions on a message`);
          }
          await tx.query(
            `WITH added AS (INSERT INTO message_reactions (message_id, emoji, user_id) VALUES ($1, $2, $3) RETURNING 1)
             UPDATE messages SET reaction_count = reaction_count + 1 WHERE id = $1`,
            [target.id, request.emoji, me],
          );
          return { content: { ...base, change: 'reaction_added', emoji: request.emoji } };
        }
        if (!mine) {
          const entry = await lastChange(tx, conversationId, request.seq, reactionBy('reaction_removed'), [me, request.emoji]);
          if (entry) return { entry, duplicate: true };
          throw new AppError('reaction_not_found', 'you have not reacted with this emoji');
        }
        await tx.query(
          `WITH removed AS (DELETE FROM message_reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3 RETURNING 1)
           UPDATE messages SET reaction_count = reaction_count - 1 WHERE id = $1`,
          [target.id, request.emoji, me],
        );
        return { content: { ...base, change: 'reaction_removed', emoji: request.emoji } };
      }
      case 'pin':
        return pin(tx, me, conversationId, conv, target, request.action, base);
    }
  }
}

/** The answer to a request whose state already holds: the entry that made it (always there: states are made by entries). */
function duplicateOf(entry: MessageView | null): { entry: MessageView; duplicate: true } {
  if (!entry) throw new AppError('internal', 'a change entry is missing');
  return { entry, duplicate: true };
}

const reactionBy = (change: string) => `content->>'change' = '${change}' AND sender_id = $3 AND content->>'emoji' = $4`;

/** The newest change entry of a message matching `where` (SQL over constants; $3… are `params`). */
async function lastChange(tx: Sql, conversationId: ConversationId, seq: Seq, where: string, params: string[]): Promise<MessageView | null> {
  const [row] = await tx.query<EntryRow>(
    `SELECT ${ENTRY_COLUMNS} FROM messages
      WHERE conversation_id = $1 AND target_seq = $2 AND kind = 'change' AND ${where}
      ORDER BY seq DESC LIMIT 1`,
    [conversationId, seq, ...params],
  );
  return row ? toMessageView(row) : null;
}

/**
 * Removes a message's content from the server: its text (the entry stays, as
 * deleted, so seqs stay dense), its edit history, the text of its `edited`
 * entries, its reactions, its search index row, and the text in the outbox rows of its
 * message.created / message.edited events not yet pruned (found from its
 * creation time on the outbox's occurred_at index).
 */
async function redact(tx: Sql, conversationId: ConversationId, seq: Seq, target: Target): Promise<void> {
  const deleted = JSON.stringify(target.client_msg_id ? { type: 'deleted', client_msg_id: target.client_msg_id } : { type: 'deleted' });
  // A hidden message deleted is deleted like any other (nothing is left to restore).
  await tx.query(
    `UPDATE messages SET content = $2::jsonb, deleted_at = now(), hidden_at = NULL, reaction_count = 0, pinned_at = NULL, pinned_by = NULL WHERE id = $1`,
    [target.id, deleted],
  );
  await tx.query('DELETE FROM message_edits WHERE message_id = $1', [target.id]);
  await tx.query('DELETE FROM message_reactions WHERE message_id = $1', [target.id]);
  // So does the search index's copy of the text (migration 017).
  await tx.query('DELETE FROM message_search WHERE message_id = $1', [target.id]);
  await stripChangeText(tx, conversationId, seq);
  await tx.query(
    `UPDATE outbox SET payload = CASE type WHEN 'message.created' THEN payload #- '{message,text}' ELSE payload - 'text' END
      WHERE occurred_at >= $3 AND key = $1 AND type IN ('message.created', 'message.edited') AND payload->>'message_id' = $2`,
    [conversationId, target.id, target.created_at],
  );
}

/** Removes the message's text from its change entries: an edit's new text and its mentions, a restore's content. */
async function stripChangeText(tx: Sql, conversationId: ConversationId, seq: Seq): Promise<void> {
  await tx.query(
    `UPDATE messages SET content = content - 'text' - 'restored' - 'mentions'
      WHERE conversation_id = $1 AND target_seq = $2 AND kind = 'change' AND (content ? 'text' OR content ? 'restored' OR content ? 'mentions')`,
    [conversationId, seq],
  );
}

/**
 * Pins or unpins (#15): in a group, its admins, or every member when its
 * `pin_policy` is `members`; in a direct conversation, both members. At most
 * MAX_PINS pinned at once (`too_many_pins`). Pinning what is pinned (or
 * unpinning what is not) answers the entry that made that state.
 */
async function pin(
  tx: Sql,
  me: UserId,
  conversationId: ConversationId,
  conv: { type: string; role: string; pin_policy: string },
  target: Target,
  action: 'pin' | 'unpin',
  base: Pick<ChangeContent, 'type' | 'target_seq' | 'target_id'>,
): Promise<{ content: ChangeContent } | { entry: MessageView; duplicate: true }> {
  if (conv.type === 'group' && conv.pin_policy !== 'members' && conv.role !== 'admin') {
    throw new AppError('forbidden', 'only the admins of this group can pin and unpin');
  }
  if (target.deleted) throw messageDeleted();
  const [state] = await tx.query<{ pinned: boolean; pins: number }>(
    `SELECT pinned_at IS NOT NULL AS pinned,
            (SELECT count(*)::int FROM messages WHERE conversation_id = $2 AND pinned_at IS NOT NULL) AS pins
       FROM messages WHERE id = $1`,
    [target.id, conversationId],
  );
  const pinned = state?.pinned === true;
  if (action === 'pin') {
    if (pinned) return duplicateOf(await lastChange(tx, conversationId, base.target_seq, "content->>'change' = 'pinned'", []));
    if ((state?.pins ?? 0) >= MAX_PINS) throw new AppError('too_many_pins', `a conversation has at most ${MAX_PINS} pinned messages`);
    await tx.query('UPDATE messages SET pinned_at = now(), pinned_by = $2 WHERE id = $1', [target.id, me]);
    return { content: { ...base, change: 'pinned' } };
  }
  if (!pinned) {
    const entry = await lastChange(tx, conversationId, base.target_seq, "content->>'change' = 'unpinned'", []);
    if (entry) return { entry, duplicate: true };
    throw new AppError('pin_not_found', 'the message is not pinned');
  }
  await tx.query('UPDATE messages SET pinned_at = NULL, pinned_by = NULL WHERE id = $1', [target.id]);
  return { content: { ...base, change: 'unpinned' } };
}

/** Appends a `change` entry under the counter's row lock (taken at the start of the transaction). */
async function appendChange(
  tx: Sql,
  conversationId: ConversationId,
  actor: UserId,
  clientMsgId: string | null,
  content: ChangeContent,
  mentions?: Mentions | null,
): Promise<MessageView> {
  const [row] = await tx.query<EntryRow>(
    `WITH next AS (UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $2 RETURNING last_seq)
     INSERT INTO messages (id, conversation_id, seq, sender_id, kind, client_msg_id, content, target_seq)
     SELECT $1, $2, next.last_seq, $3, 'change', $4, $5::jsonb, $6 FROM next
     RETURNING ${ENTRY_COLUMNS}`,
    // An edit's mentions ride in its stored content; the view carries them beside it (log-repo).
    [crypto.randomUUID(), conversationId, actor, clientMsgId, JSON.stringify(mentions ? { ...content, mentions } : content), content.target_seq],
  );
  return toMessageView(row!);
}

async function recordChangeEvent(tx: Sql, entry: MessageView, content: ChangeContent, actor: UserId): Promise<void> {
  const common = {
    conversation_id: entry.conversation_id,
    seq: entry.seq,
    message_id: content.target_id,
    target_seq: content.target_seq,
    actor_id: actor,
    occurred_at: entry.created_at,
  };
  switch (content.change) {
    case 'edited':
      return recordEvent(tx, 'message.edited', entry.conversation_id, { ...common, text: content.text!, ...(entry.mentions ? { mentions: entry.mentions } : {}) });
    case 'deleted':
      return recordEvent(tx, 'message.deleted', entry.conversation_id, common);
    case 'reaction_added':
      return recordEvent(tx, 'message.reaction_added', entry.conversation_id, { ...common, emoji: content.emoji! });
    case 'reaction_removed':
      return recordEvent(tx, 'message.reaction_removed', entry.conversation_id, { ...common, emoji: content.emoji! });
    case 'hidden':
      return recordEvent(tx, 'message.hidden', entry.conversation_id, common);
    case 'restored':
      return recordEvent(tx, 'message.restored', entry.conversation_id, common);
    case 'pinned':
      return recordEvent(tx, 'message.pinned', entry.conversation_id, common);
    case 'unpinned':
      return recordEvent(tx, 'message.unpinned', entry.conversation_id, common);
  }
}
