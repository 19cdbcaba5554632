import type {
  IntegrationView,
  ConversationId,
  MessageContent,
  MessageView,
  Seq,
  SystemContent,
  UserId,
} from '@parley/protocol';
import type { Sql } from '../store/database.ts';

export interface EntryRow {
  id: string;
  conversation_id: string;
  seq: number;
  sender_id: string;
  content: MessageContent | SystemContent;
  created_at: Date;
}

export const ENTRY_COLUMNS = 'id, conversation_id, seq, sender_id, content, created_at';

export function toMessageView(row: EntryRow): MessageView {
  // A webhook's entry keeps which integration posted it in its stored content (clients cannot send that
  // key: MessageContent admits no other); the view carries it beside the message.
  const { integration, ...message } = row.content as MessageView['message'] & { integration?: IntegrationView };
  return {
    conversation_id: row.conversation_id,
    seq: row.seq,
    message_id: row.id,
    sender_id: row.sender_id,
    message: message as MessageView['message'],
    created_at: row.created_at.toISOString(),
    ...(integration ? { integration } : {}),
  };
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
      kind: 'message' | 'system';
      clientMsgId: string | null;
      content: MessageContent | SystemContent;
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
      `SELECT ${ENTRY_COLUMNS} FROM messages
        WHERE conversation_id = $1 AND seq > $2 AND ($3::int IS NULL OR seq < $3)
        ORDER BY seq ${range.newest ? 'DESC' : 'ASC'} LIMIT $4`,
      [conversationId, range.after, range.before, range.limit],
    );
    const views = rows.map(toMessageView);
    return range.newest ? views.reverse() : views;
  }
