import {
  MEMBER_PREVIEW,
  type ConversationId,
  type ConversationView,
  type MemberView,
  type MembersPage,
  type MessageContent,
  type SystemContent,
  type UserId,
} from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import { toMessageView } from '../messaging/log-repo.ts';

export type Role = 'admin' | 'member';

interface ConversationRow {
  id: string;
  viewer_id: string;
  type: 'direct' | 'group';
  title: string | null;
  description: string | null;
  member_count: number;
  last_seq: number;
  created_at: Date;
  read_seq: number;
  delivered_seq: number;
  unread_count: number;
  mention_count: number;
  pin_policy: 'admins' | 'members';
  everyone_policy: 'admins' | 'members';
  lm_id: string | null;
  lm_seq: number | null;
  lm_sender_id: string | null;
  lm_content: MessageContent | SystemContent | null;
  lm_created_at: Date | null;
  lm_hidden_at: Date | null;
  lm_thread_root_seq: number | null;
}

/** The conversations as each viewer sees them: their cursors and unread count, the last entry. */
const VIEW_SQL = `
  SELECT c.id, me.user_id AS viewer_id, c.type, c.title, c.description, c.member_count, c.last_seq, c.created_at, me.read_seq, me.delivered_seq,
         c.pin_policy, c.everyone_policy, u.unread_count, u.mention_count,
         lm.id AS lm_id, lm.seq AS lm_seq, lm.sender_id AS lm_sender_id,
         lm.content AS lm_content, lm.created_at AS lm_created_at, lm.hidden_at AS lm_hidden_at,
         lm.thread_root_seq AS lm_thread_root_seq
    FROM conversation_members me
    JOIN conversations c ON c.id = me.conversation_id
    LEFT JOIN messages lm ON lm.conversation_id = c.id AND lm.seq = c.last_seq
    -- One pass over the unread range counts both. Thread replies are unread in their thread, not here;
    -- a mention counts wherever it is (the SDK counts alike).
    CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE m.kind = 'message' AND m.sender_id <> me.user_id AND m.thread_root_seq IS NULL
                                 -- a call that rang this member and was not answered: a missed call
                                 OR m.kind = 'system' AND m.content->>'event' = 'call_ended' AND m.content->>'reason' = 'invite_timeout'
                                    AND m.content->'user_ids' ? me.user_id::text)::int AS unread_count,
             count(*) FILTER (WHERE m.kind = 'message' AND m.sender_id <> me.user_id AND m.content ? 'mentions'
                                AND (m.content->'mentions'->'user_ids' ? me.user_id::text
                                     OR (m.content->'mentions'->>'everyone')::boolean))::int AS mention_count
        FROM messages m WHERE m.conversation_id = c.id AND m.seq > me.read_seq
    ) u
   WHERE me.user_id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR c.id = $2)
   ORDER BY COALESCE(lm.created_at, c.created_at) DESC, c.id, me.user_id
   LIMIT $3`;

/** Members in the order every list of them uses: join time, then id (members added together share a join time). */
const MEMBER_ORDER = 'cm.joined_at, cm.user_id';
const MEMBER_COLUMNS = 'u.id, u.username, u.display_name, u.kind, cm.role, cm.delivered_seq, cm.read_seq';

/**
 * The conversation as `viewer` sees it, with a members preview (the first
 * MEMBER_PREVIEW by join order, plus the viewer) and `member_count`: a view's
 * size never grows with the group's.
 */
export async function loadViews(
  sql: Sql,
  viewer: UserId,
  options: { conversationId?: ConversationId; limit: number },
): Promise<ConversationView[]> {
  return (await loadViewsFor(sql, [viewer], options)).map(({ view }) => view);
}

/** Views of several viewers at once (who joined a conversation): two statements, whatever their number. */
export async function loadViewsFor(
  sql: Sql,
  viewers: UserId[],
  options: { conversationId?: ConversationId; limit: number },
): Promise<Array<{ viewer: UserId; view: ConversationView }>> {
  if (viewers.length === 0) return [];
  const rows = await sql.query<ConversationRow>(VIEW_SQL, [viewers, options.conversationId ?? null, options.limit]);
  if (rows.length === 0) return [];
  const previews = await loadPreviews(sql, [...new Set(rows.map((r) => r.id))], viewers);
  return rows.map((r) => ({
    viewer: r.viewer_id,
    view: {
      id: r.id,
      type: r.type,
      title: r.title,
      description: r.description,
      members: previews.get(r.id)?.(r.viewer_id) ?? [],
      member_count: r.member_count,
      last_seq: r.last_seq,
      read_seq: r.read_seq,
      delivered_seq: r.delivered_seq,
      unread_count: r.unread_count,
      mention_count: r.mention_count,
      settings: { pin_policy: r.pin_policy, everyone_policy: r.everyone_policy },
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
              hidden_at: r.lm_hidden_at,
              thread_root_seq: r.lm_thread_root_seq,
            }),
      created_at: r.created_at.toISOString(),
    },
  }));
}

/**
 * For each conversation, a function giving a viewer's members preview. One
 * statement: the first MEMBER_PREVIEW members of each conversation, and the
 * viewers' own rows.
 */
async function loadPreviews(
  sql: Sql,
  conversationIds: ConversationId[],
  viewers: UserId[],
): Promise<Map<ConversationId, (viewer: UserId) => MemberView[]>> {
  const rows = await sql.query<MemberView & { conversation_id: string }>(
    `SELECT cm.conversation_id, ${MEMBER_COLUMNS}
       FROM (SELECT f.* FROM unnest($1::uuid[]) AS c(id)
               CROSS JOIN LATERAL (SELECT * FROM conversation_members cm WHERE cm.conversation_id = c.id
                                    ORDER BY ${MEMBER_ORDER} LIMIT $3) f
             UNION
             SELECT * FROM conversation_members WHERE conversation_id = ANY($1::uuid[]) AND user_id = ANY($2::uuid[])) cm
       JOIN users u ON u.id = cm.user_id
      ORDER BY cm.conversation_id, ${MEMBER_ORDER}`,
    [conversationIds, viewers, MEMBER_PREVIEW],
  );
  const byConversation = new Map<ConversationId, MemberView[]>();
  for (const { conversation_id, ...member } of rows) {
    let list = byConversation.get(conversation_id);
    if (!list) byConversation.set(conversation_id, (list = []));
    list.push(member);
  }
  const previews = new Map<ConversationId, (viewer: UserId) => MemberView[]>();
  for (const [id, members] of byConversation) {
    // Sorted alike, the first MEMBER_PREVIEW rows are the shared preview; the rest are viewers' own rows.
    const first = members.slice(0, MEMBER_PREVIEW);
    const own = new Map(members.slice(MEMBER_PREVIEW).map((m) => [m.id, m]));
    previews.set(id, (viewer) => {
      const mine = own.get(viewer);
      return mine ? [...first, mine] : first;
    });
  }
  return previews;
}

/**
 * A page of a conversation's members in join order, after `cursor` (the
 * `next_cursor` of the page before). The cursor is the last member's join
 * time in microseconds and id: exact, and stable while members come and go.
 */
export async function loadMemberPage(
  sql: Sql,
  conversationId: ConversationId,
  options: { cursor: string | null; limit: number },
): Promise<MembersPage> {
  const [afterMicros, afterId] = options.cursor ? options.cursor.split('_') : [null, null];
  const rows = await sql.query<MemberView & { joined_us: string }>(
    `SELECT ${MEMBER_COLUMNS}, (extract(epoch FROM cm.joined_at) * 1000000)::bigint::text AS joined_us
       FROM conversation_members cm JOIN users u ON u.id = cm.user_id
      WHERE cm.conversation_id = $1
        AND ($2::bigint IS NULL
             OR (extract(epoch FROM cm.joined_at) * 1000000)::bigint > $2::bigint
             OR ((extract(epoch FROM cm.joined_at) * 1000000)::bigint = $2::bigint AND cm.user_id > $3::uuid))
      ORDER BY ${MEMBER_ORDER}
      LIMIT $4`,
    [conversationId, afterMicros ?? null, afterId ?? null, options.limit + 1],
  );
  const more = rows.length > options.limit;
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return {
    members: page.map(({ joined_us: _, ...member }) => member),
    next_cursor: more && last ? `${last.joined_us}_${last.id}` : null,
  };
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
