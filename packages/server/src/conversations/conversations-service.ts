import {
  MAX_GROUP_MEMBERS,
  type AddMembersResponse,
  type ConversationId,
  type ConversationView,
  type CreateConversationBody,
  type MembersPage,
  type SystemContent,
  type UpdateConversationBody,
  type UserId,
} from '@parley/protocol';
import type { Database, Sql } from '../store/database.ts';
import type { Notifier } from '../bus/notifier.ts';
import type { PresenceService } from '../presence/presence-service.ts';
import { AppError } from '../errors.ts';
import { UsersRepo } from '../users/users-repo.ts';
import { storedName } from '../users/names.ts';
import { appendEntry } from '../messaging/log-repo.ts';
import { recordEvent } from '../events/outbox.ts';
import { loadMemberPage, loadViews, loadViewsFor, memberIds, roleOf, type Role } from './conversations-repo.ts';

const LIST_LIMIT = 200;
const DEFAULT_MEMBERS_PAGE = 100;

export const notFound = (): AppError =>
  new AppError('conversation_not_found', 'no such conversation, or you are not a member');

const groupFull = (): AppError => new AppError('group_full', `a group has at most ${MAX_GROUP_MEMBERS} members`);

/**
 * Direct and group conversations and their membership. A non-member learns
 * nothing: every lookup by a non-member answers `conversation_not_found`.
 */
export class ConversationsService {
  private readonly users: UsersRepo;

  constructor(
    private readonly db: Database,
    private readonly notifier: Notifier,
    /** Told when someone leaves a conversation: presence may be watched only while a conversation is shared. */
    private readonly presence: Pick<PresenceService, 'conversationLeft'>,
  ) {
    this.users = new UsersRepo(db);
  }

  /** Creates a group, or returns the pair's one direct conversation (creating it the first time). */
  async create(me: UserId, body: CreateConversationBody): Promise<{ view: ConversationView; created: boolean }> {
    const others = body.member_ids.filter((id) => id !== me);
    if (body.type === 'direct' && body.member_ids.length !== 1) {
      throw new AppError('validation_failed', 'a direct conversation has exactly one other member');
    }
    const title = body.type === 'group' && body.title !== undefined ? storedName('title', body.title) : null;
    const wanted = body.type === 'direct' ? [body.member_ids[0]!] : others;
    // The creator is a member too.
    if (body.type === 'group' && others.length + 1 > MAX_GROUP_MEMBERS) throw groupFull();
    const existing = await this.users.existing(wanted);
    const missing = wanted.filter((id) => !existing.has(id));
    if (missing.length > 0) throw new AppError('user_not_found', `unknown user ${missing[0]}`);

    const id = crypto.randomUUID();
    const created = await this.db.transaction(async (tx) => {
      if (body.type === 'direct') {
        const other = body.member_ids[0]!;
        const key = [me, other].sort().join(':');
        const inserted = await tx.query(
          `INSERT INTO conversations (id, type, direct_key, created_by) VALUES ($1, 'direct', $2, $3)
           ON CONFLICT (direct_key) DO NOTHING RETURNING id`,
          [id, key, me],
        );
        if (inserted.length === 0) {
          const [row] = await tx.query<{ id: string }>('SELECT id FROM conversations WHERE direct_key = $1', [key]);
          return { id: row!.id, created: false };
        }
        const members = await addMemberRows(tx, id, [...new Set([me, other])], 'member');
        await recordEvent(tx, 'conversation.created', id, { conversation_id: id, type: 'direct', title: null, created_by: me, member_ids: members });
        return { id, created: true };
      }
      await tx.query(`INSERT INTO conversations (id, type, title, created_by) VALUES ($1, 'group', $2, $3)`, [
        id,
        title,
        me,
      ]);
      const members = [...(await addMemberRows(tx, id, [me], 'admin')), ...(await addMemberRows(tx, id, others, 'member'))];
      await recordEvent(tx, 'conversation.created', id, { conversation_id: id, type: 'group', title, created_by: me, member_ids: members });
      return { id, created: true };
    });

    const view = await this.get(me, created.id);
    if (created.created) await this.announce(created.id, wanted.filter((id) => id !== me));
    return { view, created: created.created };
  }

  /** Pushes `created` to users who just joined, each with their own view (two statements for all of them). */
  private async announce(conversationId: ConversationId, joined: UserId[]): Promise<ConversationView[]> {
    const views = await loadViewsFor(this.db, joined, { conversationId, limit: joined.length });
    for (const { viewer, view } of views) {
      this.notifier.membershipChanged([viewer], conversationId, view.member_count);
      this.notifier.toUsers([viewer], { type: 'conversation', event: 'created', conversation: view });
    }
    return views.map(({ view }) => view);
  }

  list(me: UserId): Promise<ConversationView[]> {
    return loadViews(this.db, me, { limit: LIST_LIMIT });
  }

  async get(me: UserId, conversationId: ConversationId): Promise<ConversationView> {
    const [view] = await loadViews(this.db, me, { conversationId, limit: 1 });
    if (!view) throw notFound();
    return view;
  }

  /** A page of the members, in join order. */
  async members(me: UserId, conversationId: ConversationId, page: { cursor?: string; limit?: number } = {}): Promise<MembersPage> {
    if (!(await roleOf(this.db, conversationId, me))) throw notFound();
    return loadMemberPage(this.db, conversationId, { cursor: page.cursor ?? null, limit: page.limit ?? DEFAULT_MEMBERS_PAGE });
  }

  /**
   * Adds members to a group (admins only). Users already in it are left as
   * they are. All or nothing: past MAX_GROUP_MEMBERS nobody is added. The
   * statements are the same few whatever the number of users added.
   */
  async addMembers(me: UserId, conversationId: ConversationId, userIds: UserId[]): Promise<AddMembersResponse> {
    if ((await this.groupRole(me, conversationId)) !== 'admin') {
      throw new AppError('forbidden', 'only group admins can add members');
    }
    const existing = await this.users.existing(userIds);
    const missing = userIds.filter((id) => !existing.has(id));
    if (missing.length > 0) throw new AppError('user_not_found', `unknown user ${missing[0]}`);

    const result = await this.db.transaction(async (tx) => {
      // The conversation's row lock serialises adds to one group, so
      // concurrent adds see each other's members and cannot pass the cap together.
      const [room] = await tx.query<{ member_count: number; joining: number }>(
        `SELECT c.member_count,
                (SELECT count(*)::int FROM unnest($2::uuid[]) AS u
                  WHERE NOT EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = c.id AND cm.user_id = u)) AS joining
           FROM conversations c WHERE c.id = $1 FOR UPDATE`,
        [conversationId, userIds],
      );
      if (!room) throw notFound();
      if (room.member_count + room.joining > MAX_GROUP_MEMBERS) throw groupFull();
      const added = await addMemberRows(tx, conversationId, userIds, 'member');
      if (added.length === 0) return { added, memberCount: room.member_count, entry: null, members: [] };
      const entry = await appendSystem(tx, conversationId, { type: 'system', event: 'members_added', actor_id: me, user_ids: added });
      await recordEvent(tx, 'conversation.members_added', conversationId, { conversation_id: conversationId, seq: entry.seq, actor_id: me, user_ids: added });
      const members = await memberIds(tx, conversationId);
      return { added, memberCount: members.length, entry, members };
    });
    if (!result.entry) return { added: [], member_count: result.memberCount };

    const added = new Set(result.added);
    const before = result.members.filter((id) => !added.has(id));
    this.notifier.membershipChanged(before, conversationId, result.memberCount);
    // Per user, never on the room channel: the change may be what makes the room large.
    this.notifier.toUsers(before, {
      type: 'conversation',
      event: 'updated',
      conversation: { id: conversationId, member_count: result.memberCount },
    });
    const views = await this.announce(conversationId, result.added);
    this.notifier.toConversation(conversationId, result.members, { type: 'message', ...result.entry });
    // Each joiner's preview holds their own member row.
    const joined = views.flatMap((view) => view.members.filter((m) => added.has(m.id)));
    return { added: [...new Map(joined.map((m) => [m.id, m])).values()], member_count: result.memberCount };
  }

  /**
   * Removes a member from a group. Admins may remove anyone; anyone may remove
   * themselves (leave). When the last admin leaves, the longest-standing member
   * becomes admin, so a group is never left unmanageable.
   */
  async removeMember(me: UserId, conversationId: ConversationId, userId: UserId): Promise<void> {
    const role = await this.groupRole(me, conversationId);
    if (userId !== me && role !== 'admin') throw new AppError('forbidden', 'only group admins can remove members');

    const result = await this.db.transaction(async (tx) => {
      const removed = await tx.query(
        'DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2 RETURNING user_id',
        [conversationId, userId],
      );
      if (removed.length === 0) throw new AppError('user_not_found', 'that user is not a member');
      await tx.query('UPDATE conversations SET member_count = member_count - 1 WHERE id = $1', [conversationId]);
      await tx.query(
        `UPDATE conversation_members SET role = 'admin'
          WHERE conversation_id = $1
            AND NOT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $1 AND role = 'admin')
            AND user_id = (SELECT user_id FROM conversation_members WHERE conversation_id = $1
                            ORDER BY joined_at, user_id LIMIT 1)`,
        [conversationId],
      );
      const event = userId === me ? 'member_left' : 'member_removed';
      const entry = await appendSystem(tx, conversationId, { type: 'system', event, actor_id: me, user_ids: [userId] });
      await recordEvent(tx, `conversation.${event}`, conversationId, { conversation_id: conversationId, seq: entry.seq, actor_id: me, user_ids: [userId] });
      return { entry, members: await memberIds(tx, conversationId) };
    });
    this.notifier.membershipChanged([userId], conversationId, null);
    this.notifier.toUsers([userId], { type: 'conversation', event: 'removed', conversation: { id: conversationId } });
    this.notifier.membershipChanged(result.members, conversationId, result.members.length);
    this.notifier.toUsers(result.members, {
      type: 'conversation',
      event: 'updated',
      conversation: { id: conversationId, member_count: result.members.length },
    });
    this.notifier.toConversation(conversationId, result.members, { type: 'message', ...result.entry });
    await this.presence.conversationLeft(userId, result.members);
  }

  /**
   * Renames a group, sets or clears its description, and changes its settings (admins only). Only
   * what changes is written, as one `group_updated` entry members see in the
   * log; nothing changed writes nothing.
   */
  async update(me: UserId, conversationId: ConversationId, body: UpdateConversationBody): Promise<ConversationView> {
    if ((await this.groupRole(me, conversationId)) !== 'admin') throw new AppError('forbidden', 'only group admins can change the group');
    const wanted: { title?: string | null; description?: string | null; pin_policy?: 'admins' | 'members'; everyone_policy?: 'admins' | 'members' } = {};
    if (body.title !== undefined) wanted.title = body.title === null ? null : storedName('title', body.title);
    if (body.description !== undefined) wanted.description = body.description?.trim() || null;
    if (body.pin_policy !== undefined) wanted.pin_policy = body.pin_policy;
    if (body.everyone_policy !== undefined) wanted.everyone_policy = body.everyone_policy;

    const result = await this.db.transaction(async (tx) => {
      const [current] = await tx.query<{ title: string | null; description: string | null; pin_policy: string; everyone_policy: string }>(
        'SELECT title, description, pin_policy, everyone_policy FROM conversations WHERE id = $1 FOR UPDATE',
        [conversationId],
      );
      if (!current) throw notFound();
      const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => current[k as keyof typeof current] !== v)) as typeof wanted;
      if (Object.keys(changed).length === 0) return null;
      await tx.query(
        `UPDATE conversations SET title = CASE WHEN $2 THEN $3 ELSE title END, description = CASE WHEN $4 THEN $5 ELSE description END,
                pin_policy = COALESCE($6, pin_policy), everyone_policy = COALESCE($7, everyone_policy) WHERE id = $1`,
        [conversationId, 'title' in changed, changed.title ?? null, 'description' in changed, changed.description ?? null, changed.pin_policy ?? null, changed.everyone_policy ?? null],
      );
      const entry = await appendSystem(tx, conversationId, { type: 'system', event: 'group_updated', actor_id: me, ...changed });
      await recordEvent(tx, 'conversation.updated', conversationId, { conversation_id: conversationId, seq: entry.seq, actor_id: me, ...changed });
      return { entry, members: await memberIds(tx, conversationId) };
    });
    if (result) this.tellMembers(conversationId, result.members, result.entry);
    return this.get(me, conversationId);
  }

  /**
   * Makes a member an admin or an admin a member (admins only), as a
   * `role_changed` entry. The last admin cannot step down: a group is never
   * left without one (they may make someone else admin first).
   */
  async setRole(me: UserId, conversationId: ConversationId, userId: UserId, role: Role): Promise<void> {
    if ((await this.groupRole(me, conversationId)) !== 'admin') throw new AppError('forbidden', 'only group admins can change roles');
    const result = await this.db.transaction(async (tx) => {
      // The conversation's row lock serialises role changes, so two admins demoting each other cannot leave none.
      await tx.query('SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE', [conversationId]);
      const [target] = await tx.query<{ role: Role }>('SELECT role FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [conversationId, userId]);
      if (!target) throw new AppError('user_not_found', 'that user is not a member');
      if (target.role === role) return null;
      if (role === 'member') {
        const [admins] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM conversation_members WHERE conversation_id = $1 AND role = 'admin'`, [conversationId]);
        if ((admins?.n ?? 0) <= 1) throw new AppError('conflict', 'a group needs at least one admin: make someone else admin first');
      }
      await tx.query('UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND user_id = $2', [conversationId, userId, role]);
      const entry = await appendSystem(tx, conversationId, { type: 'system', event: 'role_changed', actor_id: me, user_ids: [userId], role });
      await recordEvent(tx, 'conversation.role_changed', conversationId, { conversation_id: conversationId, seq: entry.seq, actor_id: me, user_id: userId, role });
      return { entry, members: await memberIds(tx, conversationId) };
    });
    if (result) this.tellMembers(conversationId, result.members, result.entry);
  }

  /** A change to a group's details reaches its members: the view to fetch again, and the log entry. */
  private tellMembers(conversationId: ConversationId, members: UserId[], entry: Awaited<ReturnType<typeof appendSystem>>): void {
    this.notifier.toUsers(members, { type: 'conversation', event: 'updated', conversation: { id: conversationId } });
    this.notifier.toConversation(conversationId, members, { type: 'message', ...entry });
  }

  /** The caller's role in a group whose membership may change; refuses non-members and direct conversations. */
  private async groupRole(me: UserId, conversationId: ConversationId): Promise<Role> {
    const role = await roleOf(this.db, conversationId, me);
    if (!role) throw notFound();
    const [conv] = await this.db.query<{ type: string }>('SELECT type FROM conversations WHERE id = $1', [conversationId]);
    if (conv?.type !== 'group') throw new AppError('forbidden', 'members of a direct conversation cannot change');
    return role;
  }
}

/** Inserts membership rows; returns the ids actually added. */
async function addMemberRows(tx: Sql, conversationId: ConversationId, userIds: UserId[], role: 'admin' | 'member') {
  if (userIds.length === 0) return [];
  const rows = await tx.query<{ user_id: string }>(
    `WITH added AS (
       INSERT INTO conversation_members (conversation_id, user_id, role)
       SELECT $1, u, $3 FROM unnest($2::uuid[]) AS u
       ON CONFLICT DO NOTHING RETURNING user_id
     ), counted AS (
       UPDATE conversations SET member_count = member_count + (SELECT count(*) FROM added) WHERE id = $1
     )
     SELECT user_id FROM added`,
    [conversationId, userIds, role],
  );
  return rows.map((r) => r.user_id);
}

async function appendSystem(tx: Sql, conversationId: ConversationId, content: SystemContent) {
  const entry = await appendEntry(tx, {
    conversationId,
    senderId: content.actor_id,
    kind: 'system',
    clientMsgId: null,
    content,
  });
  // System entries have no client_msg_id, so the insert cannot lose a race.
  return entry!;
}
