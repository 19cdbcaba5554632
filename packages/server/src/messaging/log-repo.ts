import {
  REPLY_EXCERPT_LENGTH,
  type HiddenContent,
  type IntegrationView,
  type ConversationId,
  type MessageContent,
  type MessageView,
  type ReactionView,
  type ReplyQuote,
  type Seq,
  type SystemContent,
  type UserId,
} from '@parley/protocol';
import type { Sql } from '../store/database.ts';

export interface EntryRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  content: MessageView['message'];
  created_at: Date;
  /** The state of a message entry, read by ENTRY_VIEW_COLUMNS (absent or null otherwise). */
  reply_to?: ReplyQuote | null;
  edited_at?: Date | null;
  deleted_at?: Date | null;
  /** Set while moderation hides the message: the view then carries no content. */
  hidden_at?: Date | null;
  last_change_seq?: number | null;
  reactions?: ReactionView[] | null;
}

/** An entry as stored (what an insert can return). */
export const ENTRY_COLUMNS = 'id, conversation_id, seq, sender_id, content, created_at';

/**
 * An entry with its current state, for reads of `messages m`: the quoted
 * message of a reply, edit and delete times, the newest change applied, and
 * the reactions. The quote and the reactions are read only for the rows that
 * have them (CASE), so a page of plain messages costs what it did before.
 */
export const ENTRY_VIEW_COLUMNS = `m.id, m.conversation_id, m.seq, m.sender_id, m.content, m.created_at,
  m.edited_at, m.deleted_at, m.hidden_at, m.last_change_seq,
  CASE WHEN m.reply_to_seq IS NOT NULL THEN (
    SELECT jsonb_build_object('seq', q.seq, 'message_id', q.id, 'sender_id', q.sender_id,
                              'text', CASE WHEN q.hidden_at IS NULL THEN left(q.content->>'text', ${REPLY_EXCERPT_LENGTH}) END)
      FROM messages q WHERE q.conversation_id = m.conversation_id AND q.seq = m.reply_to_seq) END AS reply_to,
  CASE WHEN m.reaction_count > 0 THEN (
    SELECT jsonb_agg(jsonb_build_object('emoji', r.emoji, 'count', r.n, 'user_ids', r.user_ids) ORDER BY r.first)
      FROM (SELECT emoji, count(*)::int AS n, array_agg(user_id ORDER BY created_at, user_id) AS user_ids, min(created_at) AS first
              FROM message_reactions WHERE message_id = m.id GROUP BY emoji) r) END AS reactions`;

export function toMessageView(row: EntryRow): MessageView {
  // A webhook's entry keeps which integration posted it in its stored content (clients cannot send that
  // key: MessageContent admits no other); the view carries it beside the message.
  const { integration, ...stored } = row.content as MessageView['message'] & { integration?: IntegrationView };
  // Hidden by moderation: every member (its author too) sees no text and no attachments; the row keeps them for a restore.
  const message = row.hidden_at ? hiddenContent(stored) : stored;
  const view: MessageView = {
    conversation_id: row.conversation_id,
    seq: row.seq,
    message_id: row.id,
    sender_id: row.sender_id,
    message: message as MessageView['message'],
    created_at: row.created_at.toISOString(),
    ...(integration ? { integration } : {}),
  };
  if (row.reply_to) view.reply_to = row.reply_to;
  if (row.edited_at) view.edited_at = row.edited_at.toISOString();
  if (row.deleted_at) view.deleted_at = row.deleted_at.toISOString();
  if (row.hidden_at) view.hidden_at = row.hidden_at.toISOString();
  if (row.last_change_seq) view.last_change_seq = row.last_change_seq;
  if (row.reactions) view.reactions = row.reactions;
  return view;
}

function hiddenContent(stored: MessageView['message']): HiddenContent {
  return 'client_msg_id' in stored && stored.client_msg_id ? { type: 'hidden', client_msg_id: stored.client_msg_id } : { type: 'hidden' };
}

// A conversation's ordered log. Every durable entry takes the next `seq` from
// the conversation's row-locked counter in the same transaction as its insert,
// so seqs are dense: a rolled-back insert gives its seq back.
  /**
   * Appends an entry under the counter's row lock. Returns null when
   * `client_msg_id` collides with an entry a concurrent transaction committed;
   * the caller must then roll back (the counter moved) and read the original.
   */
export async function appendEntry(
    tx: Sql,
    entry: {
      conversationId: ConversationId;
      senderId: UserId;
      kind: 'system';
      clientMsgId: string | null;
      content: SystemContent;
    },
  ): Promise<MessageView | null> {
    const [row] = await tx.query<EntryRow>(
      `WITH next AS (
         UPDATE conversations SET last_seq = last_seq + 1 WHERE id = $2 RETURNING last_seq
       )
       INSERT INTO messages (id, conversation_id, seq, sender_id, kind, client_msg_id, content)
       SELECT $1, $2, next.last_seq, $3, $4, $5, $6::jsonb FROM next
       ON CONFLICT ON CONSTRAINT messages_client_msg_id_key DO NOTHING
       RETURNING ${ENTRY_COLUMNS}`,
      [crypto.randomUUID(), entry.conversationId, entry.senderId, entry.kind, entry.clientMsgId, JSON.stringify(entry.content)],
    );
    return row ? toMessageView(row) : null;
  }

/** Entries with `after < seq < before`, ascending; `newest` takes the page from the top of that range. */
export async function readPage(
    sql: Sql,
    conversationId: ConversationId,
    range: { after: Seq; before: Seq | null; limit: number; newest: boolean },
  ): Promise<MessageView[]> {
    const rows = await sql.query<EntryRow>(
      `SELECT ${ENTRY_VIEW_COLUMNS} FROM messages m
        WHERE conversation_id = $1 AND seq > $2 AND ($3::int IS NULL OR seq < $3)
        ORDER BY seq ${range.newest ? 'DESC' : 'ASC'} LIMIT $4`,
      [conversationId, range.after, range.before, range.limit],
    );
    const views = rows.map(toMessageView);
    return range.newest ? views.reverse() : views;
  }
