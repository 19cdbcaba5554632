import { beforeAll, expect, it } from 'vitest';
import {
  api,
  connect,
  createConversation,
  register,
  sendMessage,
  textMessage,
  type TestServer,
} from '../support/harness.ts';
import { eventually } from '../support/eventually.ts';
import type { Cluster } from '../support/cluster.ts';
import type { TestDatabase } from '../support/databases.ts';

/** Sending, fan-out, ordering, idempotency, catch-up, receipts and typing. */
export function messagingSuite(cluster: Cluster): void {
  let a: TestServer, b: TestServer, database: TestDatabase;
  beforeAll(() => ({ a, b, database } = cluster));

  const countRows = async (conversationId: string) =>
    (await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId]))[0]!.n;

  it('fans a message out to every device of every member, across instances', async () => {
    const alice = await register(a.url, 'alice');
    const bob = await register(a.url, 'bob');
    const conv = await createConversation(a.url, alice, [bob]);
    const sockets = [await connect(a, alice), await connect(b, alice), await connect(a, bob), await connect(b, bob)];
    const [alice1] = sockets;

    const ack = await sendMessage(alice1!, conv.id, 'hello bob');
    expect(ack).toMatchObject({ type: 'ack', conversation_id: conv.id, seq: 1, duplicate: false });

    for (const s of sockets) {
      const pushed = await s.next((f) => f.type === 'message' && f.message_id === ack.message_id);
      expect(pushed).toMatchObject({
        conversation_id: conv.id,
        seq: 1,
        sender_id: alice.id,
        message: { type: 'text', text: 'hello bob', client_msg_id: expect.any(String) },
      });
    }
    sockets.forEach((s) => s.close());
  });

  it('gives 20 concurrent senders × 50 messages the seqs 1..1000, in one order for every member', async () => {
    const users = await Promise.all(Array.from({ length: 20 }, () => register(a.url, 'g')));
    const conv = await createConversation(a.url, users[0]!, users.slice(1), 'group');
    const sockets = await Promise.all(users.map((u, i) => connect(i % 2 ? b : a, u)));

    const acks = await Promise.all(
      sockets.map(async (s, i) => {
        const mine = [];
        for (let n = 0; n < 50; n++) mine.push(await sendMessage(s, conv.id, `u${i} m${n}`));
        return mine;
      }),
    );
    const seqs = acks.flat().map((ack) => ack.seq as number).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // Each sender's own messages are in the order it sent them.
    for (const mine of acks) expect(mine.map((x) => x.seq)).toEqual([...mine.map((x) => x.seq as number)].sort((x, y) => x - y));

    const bySeq = new Map(acks.flat().map((ack) => [ack.seq, ack.message_id]));
    for (const s of sockets) {
      await eventually(() => expect(s.messages(conv.id)).toHaveLength(1000), { timeoutMs: 20_000 });
      const seen = s.messages(conv.id).map((m) => [m.seq, m.message_id]);
      expect(new Map(seen as [number, string][])).toEqual(bySeq);
    }
    const history = await api(a.url, 'GET', `/api/v1/conversations/${conv.id}/messages?after_seq=0&limit=200`, {
      token: users[3]!.token,
    });
    expect(history.body.messages.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    sockets.forEach((s) => s.close());
  });

  it('keeps the order of sends a socket pipelines without waiting for acks', async () => {
    const alice = await register(a.url, 'alice');
    const bob = await register(a.url, 'bob');
    const conv = await createConversation(a.url, alice, [bob]);
    const [s1, s2] = [await connect(a, alice), await connect(b, bob)];
    // Two senders interleave in one conversation, each firing 60 sends at once.
    const [mine, theirs] = await Promise.all([
      Promise.all(Array.from({ length: 60 }, (_, i) => sendMessage(s1, conv.id, `a${i}`))),
      Promise.all(Array.from({ length: 60 }, (_, i) => sendMessage(s2, conv.id, `b${i}`))),
    ]);
    for (const acks of [mine, theirs]) {
      const seqs = acks.map((x) => x.seq as number);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    expect([...mine, ...theirs].map((x) => x.seq as number).sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    s1.close();
    s2.close();
  });

  it('stores a retried client_msg_id once and answers every retry with the original ack', async () => {
    const alice = await register(a.url, 'alice');
    const bob = await register(a.url, 'bob');
    const conv = await createConversation(a.url, alice, [bob]);
    const s1 = await connect(a, alice);
    const s2 = await connect(b, alice);

    const first = await sendMessage(s1, conv.id, 'once', 'fixed-id-1');
    const again = await sendMessage(s2, conv.id, 'once', 'fixed-id-1');
    expect(again).toMatchObject({ message_id: first.message_id, seq: first.seq, created_at: first.created_at, duplicate: true });

    // Concurrently: ten sockets race the same new id; one insert wins.
    const racers = await Promise.all(Array.from({ length: 10 }, (_, i) => connect(i % 2 ? a : b, alice)));
    const raced = await Promise.all(racers.map((s) => sendMessage(s, conv.id, 'race', 'fixed-id-2')));
    expect(new Set(raced.map((r) => r.message_id)).size).toBe(1);
    expect(new Set(raced.map((r) => r.seq)).size).toBe(1);
    expect(raced.filter((r) => !r.duplicate)).toHaveLength(1);

    // Over REST too: same id answers 200 with the original.
    const rest = await api(a.url, 'POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: alice.token,
      body: textMessage('once', 'fixed-id-1'),
    });
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ message_id: first.message_id, seq: first.seq, duplicate: true });

    expect(await countRows(conv.id)).toBe(2);
    const next = await sendMessage(s1, conv.id, 'after');
    expect(next.seq).toBe(3); // no seq was burnt by the retries
    [s1, s2, ...racers].forEach((s) => s.close());
  });

  it('replays exactly the missed messages, in order, across pages, when a client resumes by cursor', async () => {
    const alice = await register(a.url, 'alice');
    const bob = await register(a.url, 'bob');
    const conv = await createConversation(a.url, alice, [bob]);
    const bobSocket = await connect(b, bob);
    const aliceSocket = await connect(a, alice);
    for (let n = 1; n <= 5; n++) await sendMessage(aliceSocket, conv.id, `before ${n}`);
    await eventually(() => expect(bobSocket.messages(conv.id)).toHaveLength(5));
    const cursor = Math.max(...bobSocket.messages(conv.id).map((m) => m.seq as number));
    bobSocket.close();

    for (let n = 1; n <= 300; n++) await sendMessage(aliceSocket, conv.id, `missed ${n}`);

    const resumed = await connect(a, bob);
    const replayed: number[] = [];
    let cursors: Record<string, number> = { [conv.id]: cursor };
    let pages = 0;
    for (;;) {
      const before = resumed.messages(conv.id).length;
      const synced = await resumed.request({ type: 'sync', cursors });
      pages++;
      replayed.push(...resumed.messages(conv.id).slice(before).map((m) => m.seq as number));
      cursors = synced.cursors as Record<string, number>;
      if (!synced.limited) break;
    }
    expect(pages).toBeGreaterThan(1);
    expect(replayed).toEqual(Array.from({ length: 300 }, (_, i) => cursor + 1 + i));
    expect(resumed.messages(conv.id).at(-1)?.message).toMatchObject({ text: 'missed 300' });
    aliceSocket.close();
    resumed.close();
  });

  it('resumes several conversations in one sync: only what each misses, a cursor per conversation', async () => {
    const [alice, bob, carol] = await Promise.all([register(a.url), register(a.url), register(a.url)]);
    const [busy, quiet, empty, notMine] = await Promise.all([
      createConversation(a.url, alice, [bob]),
      createConversation(a.url, alice, [bob, carol], 'group'),
      createConversation(a.url, bob, [carol]),
      createConversation(a.url, alice, [carol]),
    ]);
    const aliceSocket = await connect(a, alice);
    for (let n = 1; n <= 4; n++) await sendMessage(aliceSocket, busy.id, `busy ${n}`);
    await sendMessage(aliceSocket, quiet.id, 'quiet 1');
    await sendMessage(aliceSocket, notMine.id, 'not for bob');

    const bobSocket = await connect(b, bob);
    const synced = await bobSocket.request({
      type: 'sync',
      cursors: { [busy.id]: 2, [quiet.id]: 1, [empty.id]: 0, [notMine.id]: 0 },
    });
    expect(synced).toMatchObject({ type: 'synced', limited: false, removed: [notMine.id] });
    expect(synced.cursors).toEqual({ [busy.id]: 4, [quiet.id]: 1, [empty.id]: 0 });
    expect(bobSocket.messages(busy.id).map((m) => [m.seq, (m.message as { text: string }).text])).toEqual([
      [3, 'busy 3'],
      [4, 'busy 4'],
    ]);
    expect(bobSocket.messages(quiet.id)).toEqual([]);
    expect(bobSocket.frames.some((f) => f.type === 'message' && f.conversation_id === notMine.id)).toBe(false);
    aliceSocket.close();
    bobSocket.close();
  });

  it('refuses non-members reading, sending and syncing, and stores nothing', async () => {
    const alice = await register(a.url, 'alice');
    const bob = await register(a.url, 'bob');
    const mallory = await register(a.url, 'mallory');
    const conv = await createConversation(a.url, alice, [bob]);
    const aliceSocket = await connect(a, alice);
    await sendMessage(aliceSocket, conv.id, 'private');
    const m = await connect(b, mallory);

    const send = await sendMessage(m, conv.id, 'intrusion');
    expect(send).toMatchObject({ type: 'error', code: 'conversation_not_found' });
    // Sync skips what is not hers, the same way whether it exists or not.
    const sync = await m.request({ type: 'sync', cursors: { [conv.id]: 0, [crypto.randomUUID()]: 0 } });
    expect(sync).toMatchObject({ type: 'synced', limited: false, cursors: {} });
    expect(sync.removed).toHaveLength(2);
    expect(sync.removed).toContain(conv.id);
    const read = await m.request({ type: 'read', conversation_id: conv.id, seq: 1 });
    expect(read).toMatchObject({ type: 'error', code: 'conversation_not_found' });
    const typing = await m.request({ type: 'typing', conversation_id: conv.id, state: 'start' });
    expect(typing).toMatchObject({ type: 'error', code: 'conversation_not_found' });

    for (const path of [`/api/v1/conversations/${conv.id}`, `/api/v1/conversations/${conv.id}/messages`, `/api/v1/conversations/${conv.id}/members`]) {
      const res = await api(a.url, 'GET', path, { token: mallory.token });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('conversation_not_found');
      expect(JSON.stringify(res.body)).not.toContain('private');
    }
    const restSend = await api(a.url, 'POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: mallory.token,
      body: textMessage('intrusion'),
    });
    expect(restSend.status).toBe(404);
    const list = await api(a.url, 'GET', '/api/v1/conversations', { token: mallory.token });
    expect(list.body.conversations).toEqual([]);

    expect(await countRows(conv.id)).toBe(1);
    expect(m.messages()).toHaveLength(0);
    aliceSocket.close();
    m.close();
  });

  it('advances delivered and read cursors, broadcasts receipts and keeps unread counts', async () => {
    const alice = await register(a.url, 'alice');
    const bob = await register(a.url, 'bob');
    const conv = await createConversation(a.url, alice, [bob]);
    const aliceSocket = await connect(a, alice);
    const bobSocket = await connect(b, bob);
    for (let n = 1; n <= 3; n++) await sendMessage(aliceSocket, conv.id, `m${n}`);

    const unread = async (user: typeof bob) =>
      (await api(a.url, 'GET', `/api/v1/conversations/${conv.id}`, { token: user.token })).body;
    expect(await unread(bob)).toMatchObject({ unread_count: 3, read_seq: 0, last_seq: 3 });
    expect(await unread(alice)).toMatchObject({ unread_count: 0, read_seq: 3 });

    const delivered = await bobSocket.request({ type: 'delivered', conversation_id: conv.id, seq: 3 });
    expect(delivered).toMatchObject({ type: 'receipt', user_id: bob.id, delivered_seq: 3, read_seq: 0 });
    await aliceSocket.next((f) => f.type === 'receipt' && f.user_id === bob.id && f.delivered_seq === 3);

    const read = await bobSocket.request({ type: 'read', conversation_id: conv.id, seq: 2 });
    expect(read).toMatchObject({ delivered_seq: 3, read_seq: 2 });
    await aliceSocket.next((f) => f.type === 'receipt' && f.user_id === bob.id && f.read_seq === 2);
    expect(await unread(bob)).toMatchObject({ unread_count: 1, read_seq: 2 });

    // Never backwards, never past the log.
    expect(await bobSocket.request({ type: 'read', conversation_id: conv.id, seq: 1 })).toMatchObject({ read_seq: 2 });
    expect(await bobSocket.request({ type: 'read', conversation_id: conv.id, seq: 999 })).toMatchObject({ read_seq: 3 });
    expect(await unread(bob)).toMatchObject({ unread_count: 0 });
    aliceSocket.close();
    bobSocket.close();
  });

  it('relays typing to the other members without storing it', async () => {
    const alice = await register(a.url, 'alice');
    const bob = await register(a.url, 'bob');
    const conv = await createConversation(a.url, alice, [bob]);
    const aliceSocket = await connect(a, alice);
    const bobSocket = await connect(b, bob);
    aliceSocket.sendRaw(JSON.stringify({ type: 'typing', conversation_id: conv.id, state: 'start' }));
    const typing = await bobSocket.next((f) => f.type === 'typing');
    expect(typing).toMatchObject({ conversation_id: conv.id, user_id: alice.id, state: 'start', expires_in: expect.any(Number) });
    expect(await countRows(conv.id)).toBe(0);
    await aliceSocket.request({ type: 'ping' });
    expect(aliceSocket.frames.some((f) => f.type === 'typing')).toBe(false);
    aliceSocket.close();
    bobSocket.close();
  });

  it('stores SQL metacharacters and unicode verbatim', async () => {
    const alice = await register(a.url, 'alice');
    const bob = await register(a.url, 'bob');
    const conv = await createConversation(a.url, alice, [bob]);
    const s = await connect(a, alice);
    const nasty = `'); DROP TABLE messages; -- \\" $1 %_ \u0000 😀 ${'x'.repeat(100)}`.replace('\u0000', '');
    const ack = await sendMessage(s, conv.id, nasty);
    expect(ack.type).toBe('ack');
    const history = await api(a.url, 'GET', `/api/v1/conversations/${conv.id}/messages`, { token: bob.token });
    expect(history.body.messages[0].message.text).toBe(nasty);
    s.close();
  });
}
