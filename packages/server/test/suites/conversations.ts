import { beforeAll, expect, it } from 'vitest';
import type { Cluster } from '../support/cluster.ts';
import { api, connect, createConversation, register, sendMessage, uniqueName, type TestServer } from '../support/harness.ts';

/** Direct and group conversations, membership administration, listing and history paging over REST. */
export function conversationsSuite(cluster: Cluster): void {
  let a: TestServer, b: TestServer;
  beforeAll(() => ({ a, b } = cluster));

  it('creates one direct conversation per pair, whoever asks first', async () => {
    const alice = await register(a.url);
    const bob = await register(a.url);
    const first = await api(a.url, 'POST', '/api/v1/conversations', { token: alice.token, body: { type: 'direct', member_ids: [bob.id] } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ type: 'direct', last_seq: 0, unread_count: 0, last_message: null });
    expect(first.body.members.map((m: { id: string }) => m.id).sort()).toEqual([alice.id, bob.id].sort());

    const again = await api(b.url, 'POST', '/api/v1/conversations', { token: bob.token, body: { type: 'direct', member_ids: [alice.id] } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);

    const raced = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const carol = await register(a.url);
        return Promise.all([
          createConversation(a.url, alice, [carol], 'direct'),
          createConversation(b.url, carol, [alice], 'direct'),
        ]);
      }),
    );
    for (const [x, y] of raced) expect(x.id).toBe(y.id);

    const missing = await api(a.url, 'POST', '/api/v1/conversations', { token: alice.token, body: { type: 'direct', member_ids: [crypto.randomUUID()] } });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'user_not_found' } } });
    const two = await api(a.url, 'POST', '/api/v1/conversations', { token: alice.token, body: { type: 'direct', member_ids: [bob.id, crypto.randomUUID()] } });
    expect(two).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
  });

  it('lets only group admins add and remove members, logs membership changes and pushes them', async () => {
    const [admin, m1, m2, outsider] = await Promise.all([register(a.url), register(a.url), register(a.url), register(a.url)]);
    const group = await createConversation(a.url, admin, [m1], 'group');
    expect(group).toMatchObject({ type: 'group', title: 'test group' });
    expect(group.members.find((m) => m.id === admin.id)?.role).toBe('admin');
    const m1Socket = await connect(b, m1);
    const m2Socket = await connect(b, m2);

    const byMember = await api(a.url, 'POST', `/api/v1/conversations/${group.id}/members`, { token: m1.token, body: { user_ids: [m2.id] } });
    expect(byMember).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    const byOutsider = await api(a.url, 'POST', `/api/v1/conversations/${group.id}/members`, { token: outsider.token, body: { user_ids: [outsider.id] } });
    expect(byOutsider).toMatchObject({ status: 404, body: { error: { code: 'conversation_not_found' } } });

    const added = await api(a.url, 'POST', `/api/v1/conversations/${group.id}/members`, { token: admin.token, body: { user_ids: [m2.id] } });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ added: [expect.objectContaining({ id: m2.id, role: 'member' })], member_count: 3 });
    await m2Socket.next((f) => f.type === 'conversation' && f.event === 'created');
    const entry = await m1Socket.next((f) => f.type === 'message' && f.conversation_id === group.id);
    expect(entry).toMatchObject({ seq: 1, message: { type: 'system', event: 'members_added', user_ids: [m2.id] } });

    const kick = await api(a.url, 'DELETE', `/api/v1/conversations/${group.id}/members/${m2.id}`, { token: m1.token });
    expect(kick.status).toBe(403);
    const removed = await api(a.url, 'DELETE', `/api/v1/conversations/${group.id}/members/${m2.id}`, { token: admin.token });
    expect(removed.status).toBe(204);
    await m2Socket.next((f) => f.type === 'conversation' && f.event === 'removed');
    const afterRemoval = await api(a.url, 'GET', `/api/v1/conversations/${group.id}/messages`, { token: m2.token });
    expect(afterRemoval.status).toBe(404);

    // The last admin leaving hands the group to the longest-standing member.
    expect((await api(a.url, 'DELETE', `/api/v1/conversations/${group.id}/members/${admin.id}`, { token: admin.token })).status).toBe(204);
    const members = await api(a.url, 'GET', `/api/v1/conversations/${group.id}/members`, { token: m1.token });
    expect(members.body.members).toEqual([expect.objectContaining({ id: m1.id, role: 'admin' })]);
    m1Socket.close();
    m2Socket.close();
  });

  it('lets group admins rename the group, describe it and change roles, each a log entry members get live and on sync; a group keeps an admin', async () => {
    const [admin, m1, outsider] = await Promise.all([register(a.url), register(a.url), register(a.url)]);
    const group = await createConversation(a.url, admin, [m1], 'group');
    const direct = await createConversation(a.url, admin, [m1], 'direct');
    expect(group).toMatchObject({ description: null });
    const m1Socket = await connect(b, m1);
    const patch = (who: { token: string }, body: unknown, id = group.id) => api(a.url, 'PATCH', `/api/v1/conversations/${id}`, { token: who.token, body });
    const role = (who: { token: string }, userId: string, r: string) =>
      api(b.url, 'PUT', `/api/v1/conversations/${group.id}/members/${userId}/role`, { token: who.token, body: { role: r } });

    // Refused, and nothing written: non-admins, outsiders, direct conversations, bad bodies.
    expect(await patch(m1, { title: 'mine now' })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await patch(outsider, { title: 'x' })).toMatchObject({ status: 404, body: { error: { code: 'conversation_not_found' } } });
    expect(await patch(admin, { title: 'x' }, direct.id)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    for (const body of [{}, { title: '' }, { title: 'x'.repeat(129) }, { description: 'd'.repeat(1001) }, { members: [] }]) {
      expect((await patch(admin, body)).body.error.code, JSON.stringify(body).slice(0, 40)).toBe('validation_failed');
    }
    expect((await patch(admin, { title: 'bad\u202Etitle' })).body.error.code).toBe('invalid_text');
    expect(await role(m1, m1.id, 'admin')).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await role(admin, outsider.id, 'admin')).toMatchObject({ status: 404, body: { error: { code: 'user_not_found' } } });
    expect((await role(admin, m1.id, 'owner')).body.error.code).toBe('validation_failed');
    expect(await role(admin, admin.id, 'member')).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    expect((await api(a.url, 'GET', `/api/v1/conversations/${group.id}`, { token: m1.token })).body.last_seq).toBe(0);

    const renamed = await patch(admin, { title: '  Book club ', description: 'Monthly, first Tuesday.' });
    expect(renamed).toMatchObject({ status: 200, body: { title: 'Book club', description: 'Monthly, first Tuesday.' } });
    await m1Socket.next((f) => f.type === 'conversation' && f.event === 'updated' && f.conversation.id === group.id);
    expect(await m1Socket.next((f) => f.type === 'message' && f.conversation_id === group.id)).toMatchObject({
      seq: 1,
      message: { type: 'system', event: 'group_updated', actor_id: admin.id, title: 'Book club', description: 'Monthly, first Tuesday.' },
    });
    // The same values again change nothing and log nothing; clearing the description logs only it.
    expect((await patch(admin, { title: 'Book club' })).body.last_seq).toBe(1);
    expect((await patch(admin, { description: null })).body).toMatchObject({ title: 'Book club', description: null, last_seq: 2 });

    expect((await role(admin, m1.id, 'admin')).status).toBe(204);
    // Now m1 may step down admin, who is no longer the last one.
    expect((await role(m1, admin.id, 'member')).status).toBe(204);
    expect(await role(m1, m1.id, 'member')).toMatchObject({ status: 409 });
    const members = await api(a.url, 'GET', `/api/v1/conversations/${group.id}/members`, { token: admin.token });
    expect(Object.fromEntries(members.body.members.map((m: { id: string; role: string }) => [m.id, m.role]))).toEqual({ [admin.id]: 'member', [m1.id]: 'admin' });
    expect(await patch(admin, { title: 'not any more' })).toMatchObject({ status: 403 });

    // An offline member learns all of it by sync, in order.
    const synced = await m1Socket.request({ type: 'sync', cursors: { [group.id]: 0 } });
    expect(synced.type).toBe('synced');
    const log = m1Socket.messages(group.id).filter((m) => (m.seq as number) > 0);
    const events = [...new Map(log.map((m) => [m.seq, m.message as { event: string; role?: string; user_ids?: string[] }])).values()];
    expect(events.map((e) => [e.event, e.role ?? null, e.user_ids?.[0] ?? null])).toEqual([
      ['group_updated', null, null],
      ['group_updated', null, null],
      ['role_changed', 'admin', m1.id],
      ['role_changed', 'member', admin.id],
    ]);
    m1Socket.close();
  });

  it('lists conversations newest first with last message and unread count, pages history by seq, and finds users by name or id', async () => {
    const alice = await register(a.url);
    const bob = await register(a.url);
    const carol = await register(a.url);
    const older = await createConversation(a.url, alice, [carol]);
    const conv = await createConversation(a.url, alice, [bob]);
    const s = await connect(a, alice);
    await sendMessage(s, older.id, 'old news');
    for (let n = 1; n <= 25; n++) await sendMessage(s, conv.id, `n${n}`);

    const list = await api(a.url, 'GET', '/api/v1/conversations', { token: bob.token });
    expect(list.body.conversations).toHaveLength(1);
    expect(list.body.conversations[0]).toMatchObject({ id: conv.id, last_seq: 25, unread_count: 25, last_message: { seq: 25, message: { text: 'n25' } } });
    const aliceList = await api(a.url, 'GET', '/api/v1/conversations', { token: alice.token });
    expect(aliceList.body.conversations.map((c: { id: string }) => c.id)).toEqual([conv.id, older.id]);

    const page = (q: string) => api(a.url, 'GET', `/api/v1/conversations/${conv.id}/messages?${q}`, { token: bob.token });
    const newest = await page('limit=10');
    expect(newest.body.messages.map((m: { seq: number }) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(newest.body.has_more).toBe(true);
    const back = await page('before_seq=16&limit=10');
    expect(back.body.messages.map((m: { seq: number }) => m.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const oldest = await page('before_seq=6&limit=10');
    expect(oldest.body).toMatchObject({ has_more: false });
    expect(oldest.body.messages).toHaveLength(5);
    const forward = await page('after_seq=20');
    expect(forward.body.messages.map((m: { seq: number }) => m.seq)).toEqual([21, 22, 23, 24, 25]);
    expect((await page('limit=1000')).status).toBe(400);
    expect((await page('after_seq=-1')).body.error.code).toBe('validation_failed');

    const search = await api(a.url, 'GET', `/api/v1/users?query=${bob.username.slice(0, 8)}`, { token: alice.token });
    expect(search.body.users.map((u: { id: string }) => u.id)).toContain(bob.id);
    const wild = await api(a.url, 'GET', '/api/v1/users?query=%25', { token: alice.token });
    expect(wild.body.users).toEqual([]);
    // From three characters a query matches anywhere in the username or display name, in any case,
    // those it starts first; shorter, only at the start (what the indexes serve without a scan).
    const tag = crypto.randomUUID().replaceAll('-', '').slice(0, 10);
    const named = async (displayName: string): Promise<string> => {
      const res = await api(a.url, 'POST', '/api/v1/auth/register', {
        body: { username: uniqueName('s'), password: 'correct horse battery', display_name: displayName },
      });
      return res.body.user.id as string;
    };
    const middle = await named(`Zed Q${tag}son`);
    const start = await named(`Q${tag} First`);
    const ids = async (query: string): Promise<string[]> =>
      (await api(a.url, 'GET', `/api/v1/users?query=${encodeURIComponent(query)}`, { token: alice.token })).body.users.map((u: { id: string }) => u.id);
    expect(await ids(`q${tag}`.toUpperCase())).toEqual([start, middle]);
    expect(await ids(tag.slice(3, 9))).toEqual(expect.arrayContaining([start, middle]));
    expect(await ids(bob.username.slice(2, 9))).toContain(bob.id);
    expect(await ids(tag.slice(3, 5))).not.toEqual(expect.arrayContaining([start]));
    expect(await ids(tag.slice(3, 5))).not.toEqual(expect.arrayContaining([middle]));
    expect(await ids('zed')).toContain(middle);
    // One user by id (history names people who are no longer members).
    const byId = await api(a.url, 'GET', `/api/v1/users/${bob.id}`, { token: alice.token });
    expect(byId.body).toEqual({ id: bob.id, username: bob.username.toLowerCase(), display_name: expect.any(String), kind: 'user' });
    expect((await api(a.url, 'GET', `/api/v1/users/${crypto.randomUUID()}`, { token: alice.token })).body.error.code).toBe('user_not_found');
    expect((await api(a.url, 'GET', '/api/v1/users/not-a-uuid', { token: alice.token })).status).toBe(400);
    expect((await api(a.url, 'GET', `/api/v1/users/${bob.id}`, {})).status).toBe(401);
    s.close();
  });
}
