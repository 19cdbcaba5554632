import { beforeAll, expect, it } from 'vitest';
import { MAX_PINS } from '@parley/protocol';
import { api, connect, createConversation, register, sendMessage as sendFrame, textMessage, type TestServer, type TestUser } from '../support/harness.ts';
import type { TestSocket } from '../support/test-socket.ts';
import type { Cluster } from '../support/cluster.ts';
import type { TestDatabase } from '../support/databases.ts';

type Frame = Record<string, any>;

/** Threads, mentions and pins (#15): entries of the log, authorised, counted per member, replayed by sync. */
export function threadsMentionsPinsSuite(cluster: Cluster): void {
  let a: TestServer, b: TestServer, database: TestDatabase;
  beforeAll(() => ({ a, b, database } = cluster));

  const rows = async (conversationId: string) =>
    (await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId]))[0]!.n;
  const request = async (s: TestSocket, frame: Frame) => (await s.request(frame)) as Frame;
  const send = async (s: TestSocket, conversationId: string, text: string) => (await sendFrame(s, conversationId, text)) as Frame;
  const reply = (s: TestSocket, conversationId: string, text: string, replyTo: number, thread?: boolean) =>
    request(s, { type: 'send_message', conversation_id: conversationId, message: { ...textMessage(text), reply_to: replyTo, ...(thread ? { thread } : {}) } });
  const pin = (s: TestSocket, conversationId: string, seq: number, action: 'pin' | 'unpin' = 'pin') =>
    request(s, { type: 'pin_message', conversation_id: conversationId, seq, action });
  const view = async (user: TestUser, conversationId: string) =>
    (await api(a.url, 'GET', `/api/v1/conversations/${conversationId}`, { token: user.token })).body as Frame;
  const history = async (user: TestUser, conversationId: string) =>
    (await api(a.url, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=200`, { token: user.token })).body.messages as Frame[];
  const thread = async (user: TestUser, conversationId: string, seq: number, query = '') =>
    api(a.url, 'GET', `/api/v1/conversations/${conversationId}/threads/${seq}${query}`, { token: user.token });
  const pins = async (user: TestUser, conversationId: string) => api(a.url, 'GET', `/api/v1/conversations/${conversationId}/pins`, { token: user.token });

  async function group() {
    const [alice, bob, carol] = await Promise.all([register(a.url, 'alice'), register(a.url, 'bob'), register(a.url, 'carol')]);
    const conv = await createConversation(a.url, alice, [bob, carol], 'group');
    const [as, bs] = await Promise.all([connect(a, alice), connect(b, bob)]);
    return { alice, bob, carol, conv, as, bs };
  }

  it('puts replies into the thread of their root, keeps the root summary, pages the thread, and tracks thread reads per member', async () => {
    const { alice, bob, carol, conv, as, bs } = await group();
    const cs = await connect(b, carol);
    const root = await send(as, conv.id, 'where do we meet?');
    const plain = await reply(bs, conv.id, 'a quoted reply, not a thread', root.seq);
    const r1 = await reply(bs, conv.id, 'in the lobby', root.seq, true);
    // A reply to a reply in a thread joins the same root, with or without `thread`.
    const r2 = await reply(cs, conv.id, 'which lobby?', r1.seq);
    expect([plain.type, r1.type, r2.type]).toEqual(['ack', 'ack', 'ack']);
    // The sender learns the thread from the ack (its own copy is built from it).
    expect([plain.thread_root, r1.thread_root, r2.thread_root]).toEqual([undefined, root.seq, root.seq]);
    const pushed = await as.next((f) => f.type === 'message' && f.seq === r2.seq);
    expect(pushed).toMatchObject({ thread_root: root.seq, reply_to: { seq: r1.seq } });
    expect((await as.next((f) => f.type === 'message' && f.seq === plain.seq)).thread_root).toBeUndefined();

    const views = await history(alice, conv.id);
    expect(views.find((m) => m.seq === root.seq)!.thread).toEqual({
      reply_count: 2,
      last_reply_seq: r2.seq,
      last_reply_at: r2.created_at,
      last_sender_id: carol.id,
    });
    expect(views.find((m) => m.seq === r1.seq)).toMatchObject({ thread_root: root.seq });
    expect(views.find((m) => m.seq === r1.seq)!.thread).toBeUndefined();

    // Thread replies are unread in their thread, not in the conversation: alice has only the plain reply unread.
    expect((await view(alice, conv.id)).unread_count).toBe(1);
    // The list's last entry says it is a thread reply, so a client can tell it from the conversation's own messages.
    expect((await view(alice, conv.id)).last_message).toMatchObject({ seq: r2.seq, thread_root: root.seq });
    const page1 = await thread(alice, conv.id, root.seq, '?limit=1');
    expect(page1).toMatchObject({ status: 200, body: { root: { seq: root.seq }, has_more: true, read_seq: 0, unread_count: 2 } });
    expect(page1.body.replies.map((m: Frame) => m.seq)).toEqual([r1.seq]);
    const page2 = await thread(alice, conv.id, root.seq, `?after_seq=${r1.seq}`);
    expect(page2.body.replies.map((m: Frame) => m.seq)).toEqual([r2.seq]);
    expect(page2.body.has_more).toBe(false);

    // Marking read over WS tells alice's other device; over REST it answers the state; it never moves back.
    const other = await connect(b, alice);
    const marked = await request(as, { type: 'thread_read', conversation_id: conv.id, root_seq: root.seq, seq: r1.seq });
    expect(marked).toMatchObject({ type: 'thread_read', root_seq: root.seq, read_seq: r1.seq, unread_count: 1 });
    await other.next((f) => f.type === 'thread_read' && f.read_seq === r1.seq);
    const rest = await api(a.url, 'POST', `/api/v1/conversations/${conv.id}/threads/${root.seq}/read`, { token: alice.token, body: { seq: 999 } });
    expect(rest).toMatchObject({ status: 200, body: { read_seq: r2.seq, unread_count: 0 } });
    const back = await api(a.url, 'POST', `/api/v1/conversations/${conv.id}/threads/${root.seq}/read`, { token: alice.token, body: { seq: r1.seq } });
    expect(back.body.read_seq).toBe(r2.seq);
    // Bob's thread state is his own.
    expect((await thread(bob, conv.id, root.seq)).body).toMatchObject({ read_seq: 0, unread_count: 1 });

    // A reply is no root; a plain message has no thread; strangers see nothing; bad bodies are refused.
    expect((await thread(alice, conv.id, r1.seq)).body.error.code).toBe('thread_not_found');
    expect((await request(as, { type: 'thread_read', conversation_id: conv.id, root_seq: plain.seq, seq: plain.seq })).code).toBe('thread_not_found');
    const mallory = await register(a.url, 'mallory');
    expect((await thread(mallory, conv.id, root.seq)).body.error.code).toBe('conversation_not_found');
    const ms = await connect(a, mallory);
    expect(await request(ms, { type: 'thread_read', conversation_id: conv.id, root_seq: root.seq, seq: r2.seq })).toMatchObject({ code: 'conversation_not_found' });
    expect((await database.db.query('SELECT 1 FROM thread_reads WHERE user_id = $1', [mallory.id])).length).toBe(0);
    expect(await request(as, { type: 'thread_read', conversation_id: conv.id, root_seq: 0, seq: 1 })).toMatchObject({ code: 'validation_failed' });
    expect(await request(as, { type: 'thread_read', conversation_id: conv.id, root_seq: root.seq })).toMatchObject({ code: 'validation_failed' });
    const badBody = await api(a.url, 'POST', `/api/v1/conversations/${conv.id}/threads/${root.seq}/read`, { token: alice.token, body: { seq: 'x' } });
    expect(badBody.body.error.code).toBe('validation_failed');
    expect((await thread(alice, conv.id, root.seq, '?limit=0')).body.error.code).toBe('validation_failed');
    expect(await request(bs, { type: 'send_message', conversation_id: conv.id, message: { ...textMessage('x'), thread: 'yes' } })).toMatchObject({ code: 'validation_failed' });
    [as, bs, cs, other, ms].forEach((s) => s.close());
  });

  it('resolves @mentions of members at send and edit, counts them per member beside unread, and clears them by reading', async () => {
    const { alice, bob, carol, conv, as, bs } = await group();
    const outsider = await register(a.url, 'out');
    const m1 = await send(bs, conv.id, `hi @${alice.username}, @${outsider.username} and me@example.com`);
    const pushed = await as.next((f) => f.type === 'message' && f.seq === m1.seq);
    expect(pushed.mentions).toEqual({ user_ids: [alice.id], everyone: false });
    expect(m1.mentions).toEqual(pushed.mentions);
    expect(pushed.message).not.toHaveProperty('mentions');
    const plain = await send(bs, conv.id, 'no mention here');
    expect((await as.next((f) => f.type === 'message' && f.seq === plain.seq)).mentions).toBeUndefined();
    const m2 = await send(bs, conv.id, '@everyone lunch?');
    expect((await as.next((f) => f.type === 'message' && f.seq === m2.seq)).mentions).toEqual({ user_ids: [], everyone: true });
    // A mention in a thread reply counts too (it is not in unread_count).
    await reply(bs, conv.id, `@${carol.username} see above`, m1.seq, true);

    expect(await view(alice, conv.id)).toMatchObject({ unread_count: 3, mention_count: 2 });
    expect(await view(carol, conv.id)).toMatchObject({ unread_count: 3, mention_count: 2 });
    expect(await view(bob, conv.id)).toMatchObject({ mention_count: 0 });

    // An edit that adds a mention counts; the edit entry says who the new text mentions.
    const m3 = await send(bs, conv.id, 'carol, check this');
    const edited = await request(bs, { type: 'edit_message', conversation_id: conv.id, seq: m3.seq, text: `@${carol.username} check this`, client_msg_id: 'e1' });
    expect((await as.next((f) => f.type === 'message' && f.seq === edited.seq)).mentions).toEqual({ user_ids: [carol.id], everyone: false });
    expect(await view(carol, conv.id)).toMatchObject({ mention_count: 3 });
    // Taking the mention back in another edit uncounts it.
    await request(bs, { type: 'edit_message', conversation_id: conv.id, seq: m3.seq, text: 'never mind', client_msg_id: 'e2' });
    expect(await view(carol, conv.id)).toMatchObject({ mention_count: 2 });

    // Reading clears them: the read receipt moves read_seq, so the count follows.
    await request(as, { type: 'read', conversation_id: conv.id, seq: m1.seq });
    expect(await view(alice, conv.id)).toMatchObject({ mention_count: 1 });
    const last = (await view(alice, conv.id)).last_seq;
    await request(as, { type: 'read', conversation_id: conv.id, seq: last });
    expect(await view(alice, conv.id)).toMatchObject({ unread_count: 0, mention_count: 0 });
    // A client cannot forge mentions.
    const forged = await request(bs, { type: 'send_message', conversation_id: conv.id, message: { ...textMessage('x'), mentions: { user_ids: [alice.id], everyone: true } } });
    expect(forged).toMatchObject({ code: 'validation_failed' });
    as.close();
    bs.close();
  });

  it('lets a group restrict @everyone to its admins: a member is refused and nothing is stored; there is no @everyone between two', async () => {
    const { alice, bob, carol, conv, as, bs } = await group();
    const patched = await api(a.url, 'PATCH', `/api/v1/conversations/${conv.id}`, { token: bob.token, body: { everyone_policy: 'admins' } });
    expect(patched.body.error.code).toBe('forbidden');
    const set = await api(a.url, 'PATCH', `/api/v1/conversations/${conv.id}`, { token: alice.token, body: { everyone_policy: 'admins' } });
    expect(set).toMatchObject({ status: 200, body: { settings: { everyone_policy: 'admins', pin_policy: 'admins' } } });
    const bad = await api(a.url, 'PATCH', `/api/v1/conversations/${conv.id}`, { token: alice.token, body: { everyone_policy: 'anyone' } });
    expect(bad.body.error.code).toBe('validation_failed');

    const stored = await rows(conv.id);
    expect(await send(bs, conv.id, 'hey @everyone')).toMatchObject({ type: 'error', code: 'mention_forbidden' });
    const overRest = await api(a.url, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: bob.token, body: textMessage('@everyone!') });
    expect(overRest).toMatchObject({ status: 403, body: { error: { code: 'mention_forbidden' } } });
    expect(await rows(conv.id)).toBe(stored);
    // Naming people is still fine; the admin may say @everyone.
    expect((await send(bs, conv.id, `@${carol.username} hey`)).type).toBe('ack');
    const ok = await send(as, conv.id, '@everyone meeting now');
    expect((await bs.next((f) => f.type === 'message' && f.seq === ok.seq)).mentions).toEqual({ user_ids: [], everyone: true });
    // Nor may a member edit @everyone in.
    const mine = await send(bs, conv.id, 'soon');
    expect(await request(bs, { type: 'edit_message', conversation_id: conv.id, seq: mine.seq, text: '@everyone soon', client_msg_id: 'x' })).toMatchObject({ code: 'mention_forbidden' });

    const direct = await createConversation(a.url, alice, [bob]);
    const d = await send(as, direct.id, '@everyone hi');
    expect((await bs.next((f) => f.type === 'message' && f.seq === d.seq)).mentions).toBeUndefined();
    as.close();
    bs.close();
  });

  it('pins and unpins as change entries: admins only by default, members when allowed, both in a direct chat; lists pins; bounded', async () => {
    const { alice, bob, conv, as, bs } = await group();
    const m1 = await send(bs, conv.id, 'the decision');
    const stored = await rows(conv.id);
    expect(await pin(bs, conv.id, m1.seq)).toMatchObject({ type: 'error', code: 'forbidden' });
    const mallory = await connect(a, await register(a.url, 'mallory'));
    expect(await pin(mallory, conv.id, m1.seq)).toMatchObject({ type: 'error', code: 'conversation_not_found' });
    expect(await pin(as, conv.id, m1.seq, 'unpin')).toMatchObject({ type: 'error', code: 'pin_not_found' });
    expect(await pin(as, conv.id, 999)).toMatchObject({ type: 'error', code: 'message_not_found' });
    expect(await request(as, { type: 'pin_message', conversation_id: conv.id, seq: m1.seq, action: 'toggle' })).toMatchObject({ code: 'validation_failed' });
    expect(await rows(conv.id)).toBe(stored);

    const pinned = await pin(as, conv.id, m1.seq);
    expect(pinned).toMatchObject({ type: 'ack', seq: m1.seq + 1, duplicate: false });
    const entry = await bs.next((f) => f.type === 'message' && f.seq === pinned.seq);
    expect(entry).toMatchObject({ sender_id: alice.id, message: { type: 'change', change: 'pinned', target_seq: m1.seq } });
    expect(await pin(as, conv.id, m1.seq)).toMatchObject({ type: 'ack', seq: pinned.seq, duplicate: true });
    const listed = await pins(bob, conv.id);
    expect(listed.body).toMatchObject({ as_of_seq: pinned.seq, pins: [{ seq: m1.seq, pinned_by: alice.id }] });
    expect((await pins((await register(a.url, 'eve')), conv.id)).body.error.code).toBe('conversation_not_found');

    // The group lets members pin: bob unpins over REST.
    await api(a.url, 'PATCH', `/api/v1/conversations/${conv.id}`, { token: alice.token, body: { pin_policy: 'members' } });
    const url = `/api/v1/conversations/${conv.id}/messages/${m1.seq}/pin`;
    expect((await api(a.url, 'DELETE', url, { token: bob.token })).status).toBe(201);
    expect((await api(a.url, 'DELETE', url, { token: bob.token })).status).toBe(200);
    expect((await pins(alice, conv.id)).body.pins).toEqual([]);
    expect((await api(a.url, 'PUT', `/api/v1/conversations/${conv.id}/messages/0/pin`, { token: bob.token })).body.error.code).toBe('validation_failed');

    // Deleting a pinned message unpins it.
    expect((await api(a.url, 'PUT', url, { token: bob.token })).status).toBe(201);
    await request(bs, { type: 'delete_message', conversation_id: conv.id, seq: m1.seq });
    expect((await pins(alice, conv.id)).body.pins).toEqual([]);
    expect(await pin(as, conv.id, m1.seq)).toMatchObject({ code: 'message_deleted' });

    // At most MAX_PINS at once.
    const many = await Promise.all(Array.from({ length: MAX_PINS + 1 }, (_, i) => send(as, conv.id, `note ${i}`)));
    await database.db.query('UPDATE messages SET pinned_at = now(), pinned_by = $2 WHERE conversation_id = $1 AND seq = ANY($3::int[])', [
      conv.id,
      alice.id,
      many.slice(0, MAX_PINS).map((m) => m.seq),
    ]);
    const before = await rows(conv.id);
    expect(await pin(as, conv.id, many[MAX_PINS]!.seq)).toMatchObject({ code: 'too_many_pins' });
    expect(await rows(conv.id)).toBe(before);

    // In a direct conversation either member pins.
    const direct = await createConversation(a.url, alice, [bob]);
    const d = await send(as, direct.id, 'ours');
    expect(await pin(bs, direct.id, d.seq)).toMatchObject({ type: 'ack' });
    [as, bs, mallory].forEach((s) => s.close());
  });

  it('replays pins, thread replies and mentions in order to a member who was offline, with the counts they imply', async () => {
    const { alice, bob, carol, conv, as, bs } = await group();
    const m1 = await send(as, conv.id, 'agenda');
    const start = m1.seq;
    const p1 = await pin(as, conv.id, m1.seq);
    const t1 = await reply(bs, conv.id, 'item one', m1.seq, true);
    const t2 = await reply(as, conv.id, `@${carol.username} your item?`, t1.seq);
    const u1 = await pin(as, conv.id, m1.seq, 'unpin');
    const m2 = await send(bs, conv.id, `@${carol.username} and @everyone: done`);

    // Carol comes back on the other instance and resumes from before m1, in pages of 2.
    const cs = await connect(b, carol);
    let cursor = start - 1;
    const replayed: Frame[] = [];
    for (;;) {
      const synced = await request(cs, { type: 'sync', cursors: { [conv.id]: cursor }, limit: 2 });
      replayed.push(...(cs.messages(conv.id) as Frame[]).filter((f) => f.seq > cursor && f.seq <= synced.cursors[conv.id]));
      cursor = synced.cursors[conv.id];
      if (!synced.limited) break;
    }
    const seen = replayed.map((f) => [f.seq, f.message.type === 'change' ? f.message.change : (f.thread_root ?? '-'), f.mentions?.user_ids?.length ?? 0]);
    expect(seen).toEqual([
      [m1.seq, '-', 0],
      [p1.seq, 'pinned', 0],
      [t1.seq, m1.seq, 0],
      [t2.seq, m1.seq, 1],
      [u1.seq, 'unpinned', 0],
      [m2.seq, '-', 1],
    ]);
    // The replayed root shows its end state: its thread, no pin.
    const root = replayed.find((f) => f.seq === m1.seq)!;
    expect(root.thread).toMatchObject({ reply_count: 2, last_reply_seq: t2.seq, last_sender_id: alice.id });
    expect(root.pinned_at).toBeUndefined();
    expect(replayed.find((f) => f.seq === m2.seq)!.mentions).toEqual({ user_ids: [carol.id], everyone: true });
    // unread: m1 and m2 (thread replies are not counted); mentions: t2 and m2.
    expect(await view(carol, conv.id)).toMatchObject({ unread_count: 2, mention_count: 2 });
    expect((await thread(carol, conv.id, m1.seq)).body).toMatchObject({ unread_count: 2, read_seq: 0 });

    // Each change went into the outbox with its entry; mentions ride beside the message of message.created.
    const events = await database.db.query<{ type: string; payload: Frame }>(
      `SELECT type, payload FROM outbox WHERE key = $1 AND type LIKE 'message.%' ORDER BY id`,
      [conv.id],
    );
    expect(events.map((e) => e.type)).toEqual(['message.created', 'message.pinned', 'message.created', 'message.created', 'message.unpinned', 'message.created']);
    const created = events.filter((e) => e.type === 'message.created');
    expect(created[3]!.payload).toMatchObject({ seq: m2.seq, mentions: { user_ids: [carol.id], everyone: true } });
    expect(created[3]!.payload.message).not.toHaveProperty('mentions');
    expect(created[0]!.payload).not.toHaveProperty('mentions');
    expect(events[1]!.payload).toMatchObject({ seq: p1.seq, target_seq: m1.seq, actor_id: alice.id });
    [as, bs, cs].forEach((s) => s.close());
  });
}
