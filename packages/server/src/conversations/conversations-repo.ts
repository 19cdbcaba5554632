import type { ConversationId, ConversationView, MemberView, MessageContent, SystemContent, UserId } from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import { toMessageView } from '../messaging/log-repo.ts';

export type Role = 'admin' | 'member';

interface ConversationRow {
  id: string;
  type: 'direct' | 'group';
  title: string | null;
  member_count: number;
  last_seq: number;
  created_at: Date;
  read_seq: number;
  delivered_seq: number;
  unread_count: number;
  lm_id: string | null;
  lm_seq: number | null;
  lm_sender_id: string | null;
  lm_content: MessageContent | SystemContent | null;
  lm_created_at: Date | null;
}

/** The conversation as `viewer` sees it: their cursors and unread count, the last entry, the members. */
const VIEW_SQL = `
  SELECT c.id, c.type, c.title, c.member_count, c.last_seq, c.created_at, me.read_seq, me.delivered_seq,
         (SELECT count(*)::int FROM messages m
           WHERE m.conversation_id = c.id AND m.seq > me.read_seq
             AND m.kind = 'message' AND m.sender_id <> me.user_id) AS unread_count,
         lm.id AS lm_id, lm.seq AS lm_seq, lm.sender_id AS lm_sender_id,
         lm.content AS lm_content, lm.created_at AS lm_created_at
    FROM conversation_members me
    JOIN conversations c ON c.id = me.conversation_id
    LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq
   WHERE me.user_id = $1 AND ($2::uuid IS NULL OR c.id = $2)
   ORDER BY COALESCE(lm.created_at, c.created_at) DESC, c.id
   LIMIT $3`;

export async function loadViews(
  sql: Sql,
  viewer: UserId,
  options: { conversationId?: ConversationId; limit: number },
): Promise<ConversationView[]> {
  const rows = await sql.query<ConversationRow>(VIEW_SQL, [viewer, options.conversationId ?? null, options.limit]);
  if (rows.length === 0) return [];
  const members = await loadMembers(sql, rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    title: r.title,
    members: members.get(r.id) ?? [],
    member_count: r.member_count,
    last_seq: r.last_seq,
    read_seq: r.read_seq,
    delivered_seq: r.delivered_seq,
    unread_count: r.unread_count,
    last_message:
      r.lm_id === null
        ? null
        : toMessageView({
            id: r.lm_id,
            conversation_id: r.id,
            seq: r.lm_seq!,
            sender_id: r.lm_sender_id!,
            content: r.lm_content!,
            created_at: r.lm_created_at!,
          }),
    created_at: r.created_at.toISOString(),
  }));
}

export async function loadMembers(sql: Sql, conversationIds: ConversationId[]): Promise<Map<ConversationId, MemberView[]>> {
  const rows = await sql.query<MemberView & { conversation_id: string }>(
    `SELECT cm.conversation_id, u.id, u.username, u.display_name, cm.role, cm.delivered_seq, cm.read_seq
       FROM conversation_members cm JOIN users u ON u.id = cm.user_id
      WHERE cm.conversation_id = ANY($1::uuid[])
      ORDER BY cm.joined_at, u.username`,
    [conversationIds],
  );
  const byConversation = new Map<ConversationId, MemberView[]>();
  for (const { conversation_id, ...member } of rows) {
    let list = byConversation.get(conversation_id);
    if (!list) byConversation.set(conversation_id, (list = []));
    list.push(member);
  }
  return byConversation;
}

/** The caller's role in the conversation, or null when not a member (or no such conversation). */
export async function roleOf(sql: Sql, conversationId: ConversationId, userId: UserId): Promise<Role | null> {
  const [row] = await sql.query<{ role: Role }>(
    'SELECT role FROM conversation_members WHERE conversation_id = $1 AND user_id = $2',
    [conversationId, userId],
  );
  return row?.role ?? null;
}

export async function memberIds(sql: Sql, conversationId: ConversationId): Promise<UserId[]> {
  const rows = await sql.query<{ user_id: string }>(
    'SELECT user_id FROM conversation_members WHERE conversation_id = $1',
    [conversationId],
  );
  return rows.map((r) => r.user_id);
}

/** The conversations of `userId` with at least `threshold` members (they fan out on a room channel). */
export async function largeRoomsOf(sql: Sql, userId: UserId, threshold: number): Promise<ConversationId[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT c.id FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id
      WHERE cm.user_id = $1 AND c.member_count >= $2`,
    [userId, threshold],
  );
  return rows.map((r) => r.id);
}
