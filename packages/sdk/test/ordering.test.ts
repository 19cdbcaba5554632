import { describe, expect, it } from 'vitest';
import { CloseCodes } from '@parley/protocol';
import { eventually } from './support/eventually.ts';
import { record, useFakeServer } from './support/clients.ts';

/** Lost, duplicated and reordered frames; resume by cursor in pages; discovery of new conversations. */
describe('ordering and gap fill', () => {
  const fake = useFakeServer();

  async function setup(options: Parameters<typeof fake.open>[1] = {}) {
    const alice = fake.server.addUser('alice');
    const bob = fake.server.addUser('bob');
    const conv = fake.server.addConversation([alice.id, bob.id]);
    const { client } = fake.open(alice, options);
    const seen = record(client, 'message');
    client.connect();
    await client.connected();
    await eventually(() => expect(client.conversation(conv.id)).toBeDefined());
    return { alice, bob, conv, client, seen };
  }

  const historyRequests = () => fake.server.requests.filter((r) => r.includes('/messages'));

  it('backfills a lost push from history when the next seq arrives', async () => {
    const { bob, conv, client, seen } = await setup({ gapFillDelayMs: 20 });
    fake.server.append(conv.id, bob.id, 'one');
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(1));
    fake.server.drop(1, (f) => f.type === 'message');
    fake.server.append(conv.id, bob.id, 'two (lost)');
    fake.server.append(conv.id, bob.id, 'three');

    await eventually(() => expect(client.messages(conv.id).map((m) => m.seq)).toEqual([1, 2, 3]));
    expect(historyRequests()).toEqual([`GET /api/v1/conversations/${conv.id}/messages?after_seq=1&limit=2`]);
    expect(seen.map((e) => e.entry.seq).sort()).toEqual([1, 2, 3]);
    expect(client.conversation(conv.id)?.cursor).toBe(3);
  });

  it('hands over every entry stored after connected() resolved, even one whose push comes after the first conversation list', async () => {
    const alice = fake.server.addUser('alice');
    const bob = fake.server.addUser('bob');
    const conv = fake.server.addConversation([alice.id, bob.id]);
    fake.server.append(conv.id, bob.id, 'before', { push: false });
    // The list asked for on connecting answers a little after `ready`, with what the server has then.
    let answerList!: () => void;
    fake.server.listGate = new Promise((resolve) => (answerList = resolve));
    const { client } = fake.open(alice);
    const entries = record(client, 'entry');
    client.connect();
    const timer = setTimeout(() => answerList(), 200);
    await client.connected();
    // Stored once the app may count on being connected; its push reaches the client only after the list does.
    const entry = fake.server.append(conv.id, bob.id, 'after connected', { push: false });
    answerList();
    clearTimeout(timer);
    await eventually(() => expect(client.conversation(conv.id)).toBeDefined());
    fake.server.pushEntry(entry);
    await eventually(() => expect(entries.map((e) => e.entry.message.type === 'text' && e.entry.message.text)).toEqual(['after connected']));
    expect(entries[0]).toMatchObject({ conversationId: conv.id, replayed: false });
  });

  it('ignores duplicate frames by seq', async () => {
    const { bob, conv, client, seen } = await setup();
    const entry = fake.server.append(conv.id, bob.id, 'once');
    fake.server.pushEntry(entry);
    fake.server.pushEntry(entry);
    fake.server.append(conv.id, bob.id, 'marker');
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(2));
    expect(seen.map((e) => e.entry.seq)).toEqual([1, 2]);
    expect(client.messages(conv.id).map((m) => m.message.type === 'text' && m.message.text)).toEqual(['once', 'marker']);
  });

  it('slots out-of-order frames into place without asking history when the gap closes by itself', async () => {
    const { bob, conv, client } = await setup({ gapFillDelayMs: 1_000 });
    const [one, two, three, four] = ['a', 'b', 'c', 'd'].map((t) => fake.server.append(conv.id, bob.id, t, { push: false }));
    for (const entry of [one!, four!, three!, two!]) fake.server.pushEntry(entry);
    await eventually(() => expect(client.messages(conv.id).map((m) => m.seq)).toEqual([1, 2, 3, 4]));
    expect(client.conversation(conv.id)?.cursor).toBe(4);
    expect(historyRequests()).toEqual([]);
  });

  it('resumes with sync in pages while the server says limited, and gets every entry once, in order', async () => {
    const { bob, conv, client, seen } = await setup();
    fake.server.syncPageSize = 2;
    client.disconnect();
    for (let n = 1; n <= 5; n++) fake.server.append(conv.id, bob.id, `offline ${n}`);
    client.connect();
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(5));
    expect(fake.server.frames('sync').map((f) => f.cursors)).toEqual([
      { [conv.id]: 0 },
      { [conv.id]: 2 },
      { [conv.id]: 4 },
    ]);
    expect(seen.map((e) => e.entry.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(historyRequests()).toEqual([]);
  });

  it('fills a gap left by a replay frame lost during sync once the sync is done', async () => {
    const { bob, conv, client } = await setup({ gapFillDelayMs: 20 });
    client.disconnect();
    for (let n = 1; n <= 4; n++) fake.server.append(conv.id, bob.id, `offline ${n}`);
    fake.server.drop(1, (f) => f.type === 'message' && f.seq === 2);
    client.connect();
    await eventually(() => expect(client.messages(conv.id).map((m) => m.seq)).toEqual([1, 2, 3, 4]));
    expect(historyRequests()).toEqual([`GET /api/v1/conversations/${conv.id}/messages?after_seq=1&limit=3`]);
  });

  it('discovers conversations created while offline from the REST list on reconnect', async () => {
    const { alice, bob, client } = await setup();
    client.disconnect();
    const carol = fake.server.addUser('carol');
    const group = fake.server.addConversation([alice.id, bob.id, carol.id], 'group');
    fake.server.append(group.id, carol.id, 'hello while you were away');
    fake.server.append(group.id, bob.id, 'and again');
    client.connect();
    await eventually(() => expect(client.conversation(group.id)).toMatchObject({ last_seq: 2, unread_count: 2, has_older: true }));
    // Entries from before this client knew the conversation are history: loaded on demand, oldest last.
    expect(client.messages(group.id)).toEqual([]);
    const older = await client.loadOlder(group.id);
    expect(older.map((m) => m.seq)).toEqual([1, 2]);
    expect(client.conversation(group.id)?.has_older).toBe(false);
  });

  it('pages backwards through history with loadOlder', async () => {
    const { alice, bob } = await setup();
    const group = fake.server.addConversation([alice.id, bob.id], 'group');
    for (let n = 1; n <= 7; n++) fake.server.append(group.id, bob.id, `old ${n}`, { push: false });
    const { client } = fake.open(alice, { historyPageSize: 3 });
    client.connect();
    await eventually(() => expect(client.conversation(group.id)?.last_seq).toBe(7));
    expect((await client.loadOlder(group.id)).map((m) => m.seq)).toEqual([5, 6, 7]);
    expect((await client.loadOlder(group.id)).map((m) => m.seq)).toEqual([2, 3, 4]);
    expect((await client.loadOlder(group.id)).map((m) => m.seq)).toEqual([1]);
    expect(await client.loadOlder(group.id)).toEqual([]);
    expect(client.messages(group.id).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('drops a conversation it was removed from, and syncs the rest', async () => {
    const { alice, bob, conv, client } = await setup();
    const group = fake.server.addConversation([alice.id, bob.id], 'group');
    await client.refreshConversations();
    client.disconnect();
    group.members = [bob.id];
    fake.server.append(conv.id, bob.id, 'still here');
    client.connect();
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(1));
    expect(client.conversation(group.id)).toBeUndefined();
  });

  it('keeps order when a reconnect happens in the middle of a burst', async () => {
    const { bob, conv, client, seen } = await setup({ gapFillDelayMs: 20 });
    for (let n = 1; n <= 20; n++) {
      fake.server.append(conv.id, bob.id, `burst ${n}`);
      if (n === 10) fake.server.closeAll(CloseCodes.serviceRestart);
    }
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(20));
    expect(client.messages(conv.id).map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(seen.map((e) => e.entry.seq)).size).toBe(seen.length);
  });
});
