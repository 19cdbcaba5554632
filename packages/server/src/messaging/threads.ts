import { MAX_THREAD_PAGE, type ConversationId, type MessageView, type Seq, type ThreadPage, type ThreadReadPushFrame, type UserId } from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';
import type { Notifier } from '../bus/notifier.ts';
import { AppError } from '../errors.ts';
import { roleOf } from '../conversations/conversations-repo.ts';
import { notFound } from '../conversations/conversations-service.ts';
import { ENTRY_VIEW_COLUMNS, toMessageView, type EntryRow } from './log-repo.ts';

const DEFAULT_THREAD_PAGE = 50;
const threadNotFound = () => new AppError('thread_not_found', 'no thread has this message as its root');

/**
 * Reading threads and pins (#15). Thread replies and pin changes are entries
 * of the conversation's log (written by the message writer and MessageChanges);
 * this reads them by thread and by pin, and keeps each member's thread read
 * state (`thread_reads`), which is theirs alone: it is told to their own
 * devices (`thread_read` frames), never to the conversation.
 */
export class Threads {
  constructor(
    private readonly db: Database,
    private readonly notifier: Notifier,
  ) {}

  /** The root and the oldest `limit` replies above `after_seq`, with the caller's read state of the thread. */
  async page(me: UserId, conversationId: ConversationId, rootSeq: Seq, query: { after_seq?: number; limit?: number }): Promise<ThreadPage> {
    if (!(await roleOf(this.db, conversationId, me))) throw notFound();
    const limit = Math.min(query.limit ?? DEFAULT_THREAD_PAGE, MAX_THREAD_PAGE);
    const [rootRow] = await this.db.query<EntryRow & { kind: string }>(
      `SELECT ${ENTRY_VIEW_COLUMNS}, m.kind FROM messages m WHERE m.conversation_id = $1 AND m.seq = $2`,
      [conversationId, rootSeq],
    );
    if (!rootRow || rootRow.kind !== 'message' || rootRow.thread_root_seq) throw threadNotFound();
    const rows = await this.db.query<EntryRow>(
      `SELECT ${ENTRY_VIEW_COLUMNS} FROM messages m
        WHERE m.conversation_id = $1 AND m.thread_root_seq = $2 AND m.seq > $3
        ORDER BY m.seq LIMIT $4`,
      [conversationId, rootSeq, query.after_seq ?? 0, limit + 1],
    );
    const replies: MessageView[] = rows.slice(0, limit).map(toMessageView);
    const state = await readState(this.db, conversationId, rootSeq, me);
    return { root: toMessageView(rootRow), replies, has_more: rows.length > limit, ...state };
  }

  /**
   * Moves the caller's read cursor of a thread forward to `seq` (never back,
   * never past the thread's newest reply) and tells their devices.
   */
  async markRead(me: UserId, conversationId: ConversationId, rootSeq: Seq, seq: Seq): Promise<ThreadReadPushFrame> {
    const frame = await this.db.transaction(async (tx) => {
      const [root] = await tx.query<{ member: boolean; kind: string | null; thread_root_seq: number | null; thread_last_seq: number | null }>(
        `SELECT true AS member, m.kind, m.thread_root_seq, m.thread_last_seq
           FROM conversation_members cm LEFT JOIN messages m ON m.conversation_id = cm.conversation_id AND m.seq = $3
          WHERE cm.conversation_id = $1 AND cm.user_id = $2`,
        [conversationId, me, rootSeq],
      );
      if (!root) throw notFound();
      if (root.kind !== 'message' || root.thread_root_seq !== null || root.thread_last_seq === null) throw threadNotFound();
      await tx.query(
        `INSERT INTO thread_reads (conversation_id, root_seq, user_id, read_seq) VALUES ($1, $2, $3, $4)
         ON CONFLICT (conversation_id, root_seq, user_id) DO UPDATE SET read_seq = GREATEST(thread_reads.read_seq, EXCLUDED.read_seq)`,
        [conversationId, rootSeq, me, Math.min(seq, root.thread_last_seq)],
      );
      const state = await readState(tx, conversationId, rootSeq, me);
      return { type: 'thread_read' as const, conversation_id: conversationId, root_seq: rootSeq, ...state, last_reply_seq: root.thread_last_seq };
    });
    this.notifier.toUsers([me], frame);
    return frame;
  }

  /** The conversation's pinned messages, most recently pinned first, and the last seq they reflect. */
  async pins(me: UserId, conversationId: ConversationId): Promise<{ pins: MessageView[]; as_of_seq: Seq }> {
    return this.db.transaction(async (tx) => {
      const [conv] = await tx.query<{ last_seq: number }>(
        `SELECT c.last_seq FROM conversations c JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $2 WHERE c.id = $1`,
        [conversationId, me],
      );
      if (!conv) throw notFound();
      const rows = await tx.query<EntryRow>(
        `SELECT ${ENTRY_VIEW_COLUMNS} FROM messages m WHERE m.conversation_id = $1 AND m.pinned_at IS NOT NULL ORDER BY m.pinned_at DESC, m.seq DESC`,
        [conversationId],
      );
      return { pins: rows.map(toMessageView), as_of_seq: conv.last_seq };
    });
  }
}

/** A member's read cursor of a thread and the replies from others above it. */
async function readState(sql: Sql, conversationId: ConversationId, rootSeq: Seq, me: UserId): Promise<{ read_seq: Seq; unread_count: number }> {
  const [row] = await sql.query<{ read_seq: number; unread_count: number }>(
    `SELECT r.read_seq,
            (SELECT count(*)::int FROM messages m
              WHERE m.conversation_id = $1 AND m.thread_root_seq = $2 AND m.seq > r.read_seq AND m.sender_id <> $3) AS unread_count
       FROM (SELECT COALESCE((SELECT read_seq FROM thread_reads WHERE conversation_id = $1 AND root_seq = $2 AND user_id = $3), 0) AS read_seq) r`,
    [conversationId, rootSeq, me],
  );
  return row!;
}
