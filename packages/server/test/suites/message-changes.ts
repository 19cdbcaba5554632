import { beforeAll, expect, it } from 'vitest';
import { MAX_REACTIONS_PER_MEMBER, MAX_TEXT_LENGTH } from '@parley/protocol';
import { api, connect, createConversation, register, sendMessage as sendFrame, textMessage, type TestServer, type TestUser } from '../support/harness.ts';
import type { TestSocket } from '../support/test-socket.ts';
import type { Cluster } from '../support/cluster.ts';
import type { TestDatabase } from '../support/databases.ts';

type Frame = Record<string, any>;

/** Replies, edits, deletes and reactions: entries of the log, authorised, deduplicated, replayed by sync. */
export function messageChangesSuite(cluster: Cluster): void {
  let a: TestServer, b: TestServer, database: TestDatabase;
  beforeAll(() => ({ a, b, database } = cluster));

  const rows = async (conversationId: string) =>
    (await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId]))[0]!.n;
  const lastSeq = async (conversationId: string) =>
    (await database.db.query<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE id = $1', [conversationId]))[0]!.last_seq;
  const sendMessage = async (s: TestSocket, conversationId: string, text: string) => (await sendFrame(s, conversationId, text)) as Frame;
  const request = async (s: TestSocket, frame: Frame) => (await s.request(frame)) as Frame;
  const edit = (s: TestSocket, conversationId: string, seq: number, text: string, clientMsgId: string = crypto.randomUUID()) =>
    request(s, { type: 'edit_message', conversation_id: conversationId, seq, text, client_msg_id: clientMsgId });
  const remove = (s: TestSocket, conversationId: string, seq: number) => request(s, { type: 'delete_message', conversation_id: conversationId, seq });
  const react = (s: TestSocket, conversationId: string, seq: number, emoji: string, action: 'add' | 'remove' = 'add') =>
    request(s, { type: 'react_message', conversation_id: conversationId, seq, emoji, action });
  const history = async (user: TestUser, conversationId: string) =>
    (await api(a.url, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=200`, { token: user.token })).body.messages as Frame[];

  async function pair() {
    const [alice, bob] = await Promise.all([register(a.url, 'alice'), register(a.url, 'bob')]);
    const conv = await createConversation(a.url, alice, [bob]);
    return { alice, bob, conv, as: await connect(a, alice), bs: await connect(b, bob) };
  }

  it('replies by seq or by message id, quoting the message in the push and in history; refuses other conversations\' messages', async () => {
    const { alice, bob, conv, as, bs } = await pair();
    const first = await sendMessage(as, conv.id, 'lunch at noon?');
    const bySeq = await request(bs, { type: 'send_message', conversation_id: conv.id, message: { ...textMessage('yes'), reply_to: first.seq } });
    const byId = await request(bs, { type: 'send_message', conversation_id: conv.id, message: { ...textMessage('and coffee'), reply_to: first.message_id } });
    expect([bySeq.type, byId.type]).toEqual(['ack', 'ack']);
    const quote = { seq: first.seq, message_id: first.message_id, sender_id: alice.id, text: 'lunch at noon?' };
    const pushed = await as.next((f) => f.type === 'message' && f.seq === bySeq.seq);
    expect(pushed.reply_to).toEqual(quote);
    const views = await history(bob, conv.id);
    expect(views.find((m) => m.seq === byId.seq)!.reply_to).toEqual(quote);
    expect(views.find((m) => m.seq === first.seq)!.reply_to).toBeUndefined();

    const other = await createConversation(a.url, alice, [await register(a.url, 'carol')]);
    const elsewhere = await sendMessage(as, other.id, 'not for bob');
    const editEntry = await edit(as, conv.id, first.seq, 'lunch at one?');
    const before = await rows(conv.id);
    // Another conversation's message, a seq past the log, a change entry: none is a message of this conversation.
    for (const replyTo of [elsewhere.message_id, 999, editEntry.seq]) {
      const refused = await request(bs, { type: 'send_message', conversation_id: conv.id, message: { ...textMessage('?'), reply_to: replyTo } });
      expect(refused).toMatchObject({ type: 'error', code: 'message_not_found' });
    }
    expect(await rows(conv.id)).toBe(before);
    as.close();
    bs.close();
  });

  it('lets only the author edit, keeps the history, marks the view edited, and answers a retried edit with the original', async () => {
    const { alice, bob, conv, as, bs } = await pair();
    const sent = await sendMessage(as, conv.id, 'teh plan');
    const ack = await edit(as, conv.id, sent.seq, 'the plan', 'edit-1');
    expect(ack).toMatchObject({ type: 'ack', seq: sent.seq + 1, duplicate: false });
    const pushed = await bs.next((f) => f.type === 'message' && f.seq === ack.seq);
    expect(pushed).toMatchObject({ sender_id: alice.id, message: { type: 'change', change: 'edited', target_seq: sent.seq, target_id: sent.message_id, text: 'the plan' } });
    expect(await edit(as, conv.id, sent.seq, 'the plan', 'edit-1')).toMatchObject({ type: 'ack', seq: ack.seq, message_id: ack.message_id, duplicate: true });

    const stored = await rows(conv.id);
    expect(await edit(bs, conv.id, sent.seq, 'bob was here')).toMatchObject({ type: 'error', code: 'forbidden' });
    const stranger = await connect(a, await register(a.url, 'mallory'));
    expect(await edit(stranger, conv.id, sent.seq, 'mallory was here')).toMatchObject({ type: 'error', code: 'conversation_not_found' });
    expect(await edit(as, conv.id, 999, 'nothing there')).toMatchObject({ type: 'error', code: 'message_not_found' });
    expect(await edit(as, conv.id, ack.seq, 'edit an edit')).toMatchObject({ type: 'error', code: 'message_not_found' });
    expect(await edit(as, conv.id, sent.seq, 'x'.repeat(MAX_TEXT_LENGTH + 1))).toMatchObject({ type: 'error', code: 'validation_failed' });
    expect(await edit(as, conv.id, sent.seq, '')).toMatchObject({ type: 'error', code: 'validation_failed' });
    expect(await request(as, { type: 'edit_message', conversation_id: conv.id, seq: sent.seq, text: 'no id' })).toMatchObject({ type: 'error', code: 'validation_failed' });
    expect(await edit(as, conv.id, sent.seq, 'nul \u0000 inside')).toMatchObject({ type: 'error', code: 'invalid_text' });
    expect(await rows(conv.id)).toBe(stored);

    const view = (await history(bob, conv.id)).find((m) => m.seq === sent.seq)!;
    expect(view).toMatchObject({ message: { type: 'text', text: 'the plan' }, edited_at: expect.any(String), last_change_seq: ack.seq });
    const versions = await database.db.query<{ version: number; text: string }>('SELECT version, text FROM message_edits WHERE message_id = $1 ORDER BY version', [sent.message_id]);
    expect(versions).toEqual([{ version: 1, text: 'teh plan' }]);
    stranger.close();
    as.close();
    bs.close();
  });

  it('deletes for the author or a group admin only: the text is gone from the database, the entry stays with a dense seq', async () => {
    const [admin, member, other] = await Promise.all([register(a.url, 'admin'), register(a.url, 'member'), register(a.url, 'other')]);
    const group = await createConversation(a.url, admin, [member, other], 'group');
    const [ads, ms, os] = await Promise.all([connect(a, admin), connect(b, member), connect(a, other)]);
    const secret = await sendMessage(ms, group.id, 'the secret is swordfish');
    await edit(ms, group.id, secret.seq, 'the secret is still swordfish');
    await react(os, group.id, secret.seq, '👍');
    const stored = await rows(group.id);
    expect(await remove(os, group.id, secret.seq)).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await rows(group.id)).toBe(stored);

    const deleted = await remove(ads, group.id, secret.seq);
    expect(deleted).toMatchObject({ type: 'ack', duplicate: false });
    expect(await remove(ms, group.id, secret.seq)).toMatchObject({ type: 'ack', seq: deleted.seq, duplicate: true });
    await ms.next((f) => f.type === 'message' && f.seq === deleted.seq);

    // Nothing of the text is left: not in the row, its edit history, its edit entries, nor the outbox.
    const found = await database.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM messages WHERE conversation_id = $1 AND content::text LIKE '%swordfish%')
            + (SELECT count(*) FROM message_edits WHERE message_id = $2)
            + (SELECT count(*) FROM message_reactions WHERE message_id = $2)
            + (SELECT count(*) FROM outbox WHERE payload::text LIKE '%swordfish%') AS n`,
      [group.id, secret.message_id],
    );
    expect(Number(found[0]!.n)).toBe(0);
    const view = (await history(member, group.id)).find((m) => m.seq === secret.seq)!;
    expect(view).toMatchObject({ message: { type: 'deleted' }, deleted_at: expect.any(String), last_change_seq: deleted.seq });
    expect(view.reactions).toBeUndefined();
    expect((await history(member, group.id)).map((m) => m.seq)).toEqual(Array.from({ length: await lastSeq(group.id) }, (_, i) => i + 1));
    expect(await edit(ms, group.id, secret.seq, 'undo')).toMatchObject({ type: 'error', code: 'message_deleted' });
    expect(await react(os, group.id, secret.seq, '👍')).toMatchObject({ type: 'error', code: 'message_deleted' });
    const events = await database.db.query<{ type: string }>(
      `SELECT type FROM outbox WHERE key = $1 AND type LIKE 'message.%' AND type <> 'message.created' ORDER BY id`,
      [group.id],
    );
    expect(events.map((e) => e.type)).toEqual(['message.edited', 'message.reaction_added', 'message.deleted']);
    [ads, ms, os].forEach((s) => s.close());
  });

  it('ends concurrent reactions from many members across instances with exact counts, toggled per member', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => register(a.url, 'r')));
    const group = await createConversation(a.url, users[0]!, users.slice(1), 'group');
    const sockets = await Promise.all(users.map((u, i) => connect(i % 2 ? b : a, u)));
    const target = await sendMessage(sockets[0]!, group.id, 'vote');
    const acks = await Promise.all(
      sockets.flatMap((s, i) => [react(s, group.id, target.seq, '👍'), ...(i % 3 === 0 ? [react(s, group.id, target.seq, '🎉')] : [])]),
    );
    expect(acks.every((f) => f.type === 'ack' && f.duplicate === false)).toBe(true);
    // A repeat changes nothing; a removal takes one member's reaction back.
    expect(await react(sockets[1]!, group.id, target.seq, '👍')).toMatchObject({ type: 'ack', duplicate: true });
    expect(await react(sockets[1]!, group.id, target.seq, '👍', 'remove')).toMatchObject({ type: 'ack', duplicate: false });
    expect(await react(sockets[1]!, group.id, target.seq, '👍', 'remove')).toMatchObject({ type: 'ack', duplicate: true });
    expect(await react(sockets[2]!, group.id, target.seq, '🎉', 'remove')).toMatchObject({ type: 'error', code: 'reaction_not_found' });

    const view = (await history(users[5]!, group.id)).find((m) => m.seq === target.seq)!;
    const byEmoji = Object.fromEntries((view.reactions as Frame[]).map((r) => [r.emoji, r]));
    expect(byEmoji['👍'].count).toBe(11);
    expect(new Set(byEmoji['👍'].user_ids)).toEqual(new Set(users.filter((_, i) => i !== 1).map((u) => u.id)));
    expect(byEmoji['🎉'].count).toBe(4);
    // Every change took one seq after the message's: 16 adds, 1 removal.
    expect(await lastSeq(group.id)).toBe(target.seq + 16 + 1);
    sockets.forEach((s) => s.close());
  });

  it('refuses payloads that are not one emoji, and reactions past the bounds, storing nothing', async () => {
    const { conv, as, bs } = await pair();
    const sent = await sendMessage(as, conv.id, 'react to me');
    const stored = await rows(conv.id);
    for (const emoji of ['a', '👍👍', ':+1:', '<img src=x>', '\u200D', ' 👍', '👍\u200B', '\u{E0067}']) {
      expect(await react(bs, conv.id, sent.seq, emoji)).toMatchObject({ type: 'error', code: 'invalid_emoji' });
    }
    expect(await react(bs, conv.id, sent.seq, '👍'.repeat(40))).toMatchObject({ type: 'error', code: 'validation_failed' });
    expect(await rows(conv.id)).toBe(stored);
    // Flags, keycaps, skin tones and ZWJ sequences are single emoji.
    for (const emoji of ['🇯🇵', '1️⃣', '👍🏽', '👩‍💻', '❤️'].slice(0, MAX_REACTIONS_PER_MEMBER)) {
      expect(await react(bs, conv.id, sent.seq, emoji)).toMatchObject({ type: 'ack' });
    }
    expect(await react(bs, conv.id, sent.seq, '🙂')).toMatchObject({ type: 'error', code: 'too_many_reactions' });
    as.close();
    bs.close();
  });

  it('replays edits, deletes and reactions in order to a member who was offline, and history shows the end state', async () => {
    const [alice, bob, carol] = await Promise.all([register(a.url, 'alice'), register(a.url, 'bob'), register(a.url, 'carol')]);
    const group = await createConversation(a.url, alice, [bob, carol], 'group');
    const [as, cs] = await Promise.all([connect(a, alice), connect(b, carol)]);
    const m1 = await sendMessage(as, group.id, 'first draft');
    const m2 = await sendMessage(as, group.id, 'oops');
    await edit(as, group.id, m1.seq, 'final');
    await react(cs, group.id, m1.seq, '🎉');
    await react(cs, group.id, m2.seq, '😮');
    await remove(as, group.id, m2.seq);
    await react(cs, group.id, m1.seq, '🎉', 'remove');
    await react(cs, group.id, m1.seq, '✅');

    // Bob comes back and resumes from before m1, on the other instance, in pages of 3.
    const bs = await connect(b, bob);
    let cursor = m1.seq - 1;
    const replayed: Frame[] = [];
    for (;;) {
      const synced = await request(bs, { type: 'sync', cursors: { [group.id]: cursor }, limit: 3 });
      replayed.push(...(bs.messages(group.id) as Frame[]).filter((f) => f.seq > cursor && f.seq <= synced.cursors[group.id]));
      cursor = synced.cursors[group.id];
      if (!synced.limited) break;
    }
    expect(replayed.map((f) => f.seq)).toEqual(Array.from({ length: (await lastSeq(group.id)) - m1.seq + 1 }, (_, i) => m1.seq + i));
    const changes = replayed.filter((f) => f.message.type === 'change').map((f) => `${f.message.change}:${f.message.target_seq}${f.message.emoji ?? ''}`);
    expect(changes).toEqual([
      `edited:${m1.seq}`,
      `reaction_added:${m1.seq}🎉`,
      `reaction_added:${m2.seq}😮`,
      `deleted:${m2.seq}`,
      `reaction_removed:${m1.seq}🎉`,
      `reaction_added:${m1.seq}✅`,
    ]);
    // The replayed message entries already show their end state, and say which changes they reflect.
    const first = replayed.find((f) => f.seq === m1.seq)!;
    expect(first).toMatchObject({ message: { text: 'final' }, reactions: [{ emoji: '✅', count: 1, user_ids: [carol.id] }], last_change_seq: cursor });
    expect(replayed.find((f) => f.seq === m2.seq)).toMatchObject({ message: { type: 'deleted' } });
    // The deleted message's text is not in its edit entry, nor anywhere in what was replayed.
    expect(JSON.stringify(replayed)).not.toContain('oops');
    [as, bs, cs].forEach((s) => s.close());
  });

  it('edits, deletes and reacts over REST too: 201 when changed, 200 when it was already so', async () => {
    const { alice, bob, conv, as, bs } = await pair();
    const sent = await sendMessage(as, conv.id, 'over rest');
    const url = `/api/v1/conversations/${conv.id}/messages/${sent.seq}`;
    const edited = await api(a.url, 'POST', `${url}/edits`, { token: alice.token, body: { text: 'over REST', client_msg_id: 'e1' } });
    expect(edited).toMatchObject({ status: 201, body: { message: { type: 'change', change: 'edited', text: 'over REST' }, duplicate: false } });
    expect((await api(a.url, 'POST', `${url}/edits`, { token: alice.token, body: { text: 'over REST', client_msg_id: 'e1' } })).status).toBe(200);
    expect((await api(a.url, 'POST', `${url}/edits`, { token: bob.token, body: { text: 'mine now', client_msg_id: 'e2' } })).body.error.code).toBe('forbidden');
    const emoji = encodeURIComponent('👀');
    expect((await api(a.url, 'POST', `${url}/reactions`, { token: bob.token, body: { emoji: '👀' } })).status).toBe(201);
    expect((await api(a.url, 'POST', `${url}/reactions`, { token: bob.token, body: { emoji: 'eyes' } })).body.error.code).toBe('invalid_emoji');
    expect((await api(a.url, 'DELETE', `${url}/reactions/${emoji}`, { token: bob.token })).status).toBe(201);
    expect((await api(a.url, 'DELETE', url, { token: bob.token })).body.error.code).toBe('forbidden');
    expect((await api(a.url, 'DELETE', url, { token: alice.token })).status).toBe(201);
    expect((await api(a.url, 'DELETE', url, { token: alice.token })).status).toBe(200);
    // Each change was pushed live to the other member, in order.
    const pushed = (await bs.next((f) => f.type === 'message' && (f as Frame).message.change === 'deleted')) as Frame;
    const seen = (bs.messages(conv.id) as Frame[]).filter((f) => f.message.type === 'change' && f.seq <= pushed.seq).map((f) => f.message.change);
    expect(seen).toEqual(['edited', 'reaction_added', 'reaction_removed', 'deleted']);
    as.close();
    bs.close();
  });
}
