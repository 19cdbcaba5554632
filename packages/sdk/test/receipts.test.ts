import { describe, expect, it, vi } from 'vitest';
import { eventually } from './support/eventually.ts';
import { record, useFakeServer, useSdkFakeTimers } from './support/clients.ts';

/** Delivered receipts (automatic, coalesced), read receipts, ticks and unread counts. */
describe('receipts and unread counts', () => {
  const fake = useFakeServer();

  function twoUsers() {
    const alice = fake.server.addUser('alice');
    const bob = fake.server.addUser('bob');
    const conv = fake.server.addConversation([alice.id, bob.id]);
    return { alice, bob, conv };
  }

  it('reports delivery by itself, one frame per conversation per window, for the highest contiguous seq', async () => {
    const { alice, bob, conv } = twoUsers();
    useSdkFakeTimers();
    const { client } = fake.open(alice, { deliveredDelayMs: 250 });
    client.connect();
    await eventually(() => expect(client.conversation(conv.id)).toBeDefined());
    for (let n = 1; n <= 5; n++) fake.server.append(conv.id, bob.id, `m${n}`);
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(5));

    await vi.advanceTimersByTimeAsync(249);
    expect(fake.server.frames('delivered')).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await eventually(() => expect(fake.server.frames('delivered')).toEqual([{ type: 'delivered', conversation_id: conv.id, seq: 5 }]));
    await eventually(() => expect(client.conversation(conv.id)?.delivered_seq).toBe(5));

    // Once confirmed, nothing is sent again for the same seq.
    fake.server.append(conv.id, bob.id, 'm6');
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(6));
    await vi.advanceTimersByTimeAsync(250);
    await eventually(() => expect(fake.server.frames('delivered').map((f) => f.seq)).toEqual([5, 6]));
  });

  it('reports delivery of what arrived while it was away as soon as it learns of it', async () => {
    const { alice, bob, conv } = twoUsers();
    for (let n = 1; n <= 3; n++) fake.server.append(conv.id, bob.id, `while away ${n}`);
    const { client } = fake.open(alice, { deliveredDelayMs: 10 });
    client.connect();
    await eventually(() => expect(fake.server.frames('delivered')).toEqual([{ type: 'delivered', conversation_id: conv.id, seq: 3 }]));
    // Delivered is not read: the three stay unread.
    expect(client.conversation(conv.id)?.unread_count).toBe(3);
    expect(fake.server.view(conv, bob.id).members.find((m) => m.id === alice.id)).toMatchObject({ delivered_seq: 3, read_seq: 0 });
  });

  it('does not report delivery past a gap', async () => {
    const { alice, bob, conv } = twoUsers();
    const { client } = fake.open(alice, { deliveredDelayMs: 10, gapFillDelayMs: 60_000 });
    client.connect();
    await eventually(() => expect(client.conversation(conv.id)).toBeDefined());
    fake.server.append(conv.id, bob.id, 'one');
    fake.server.append(conv.id, bob.id, 'two', { push: false });
    fake.server.append(conv.id, bob.id, 'three');
    await eventually(() => expect(fake.server.frames('delivered')).toEqual([expect.objectContaining({ seq: 1 })]));
    expect(client.messages(conv.id).map((m) => m.seq)).toEqual([1, 3]);
  });

  it('shows sent, delivered and read ticks from receipt frames, and sends read on markRead', async () => {
    const { alice, bob, conv } = twoUsers();
    const { client } = fake.open(alice);
    const receipts = record(client, 'receipt');
    client.connect();
    client.send(conv.id, 'did you get this?');
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(1));
    expect(client.messageStatus(conv.id, 1)).toBe('sent');

    fake.server.push({ type: 'receipt', conversation_id: conv.id, user_id: bob.id, delivered_seq: 1, read_seq: 0 });
    await eventually(() => expect(client.messageStatus(conv.id, 1)).toBe('delivered'));
    fake.server.push({ type: 'receipt', conversation_id: conv.id, user_id: bob.id, delivered_seq: 1, read_seq: 1 });
    await eventually(() => expect(client.messageStatus(conv.id, 1)).toBe('read'));
    expect(receipts.filter((r) => r.userId === bob.id).map((r) => r.readSeq)).toEqual([0, 1]);
    // A stale receipt never moves a cursor back.
    fake.server.push({ type: 'receipt', conversation_id: conv.id, user_id: bob.id, delivered_seq: 0, read_seq: 0 });
    fake.server.push({ type: 'receipt', conversation_id: conv.id, user_id: alice.id, delivered_seq: 1, read_seq: 1 });
    await eventually(() => expect(receipts.at(-1)?.userId).toBe(alice.id));
    expect(client.messageStatus(conv.id, 1)).toBe('read');
    expect(client.conversation(conv.id)?.members.find((m) => m.id === bob.id)).toMatchObject({ delivered_seq: 1, read_seq: 1 });
  });

  it('keeps unread counts in step with the server: list count, +1 per message from others, 0 after own send or read', async () => {
    const { alice, bob, conv } = twoUsers();
    for (let n = 1; n <= 3; n++) fake.server.append(conv.id, bob.id, `before ${n}`);
    const { client } = fake.open(alice);
    const unread = record(client, 'unread');
    const serverCount = () => fake.server.view(conv, alice.id).unread_count;
    client.connect();
    await eventually(() => expect(client.conversation(conv.id)?.unread_count).toBe(3));
    expect(serverCount()).toBe(3);

    fake.server.append(conv.id, bob.id, 'new 1');
    fake.server.append(conv.id, bob.id, 'new 2');
    await eventually(() => expect(client.conversation(conv.id)?.unread_count).toBe(5));
    expect(serverCount()).toBe(5);

    client.markRead(conv.id, 4);
    expect(client.conversation(conv.id)?.unread_count).toBe(1);
    await eventually(() => expect(serverCount()).toBe(1));
    expect(fake.server.frames('read')).toEqual([expect.objectContaining({ conversation_id: conv.id, seq: 4 })]);

    client.send(conv.id, 'my own');
    await eventually(() => expect(client.conversation(conv.id)?.last_seq).toBe(6));
    expect(client.conversation(conv.id)?.unread_count).toBe(0);
    expect(serverCount()).toBe(0);

    fake.server.append(conv.id, bob.id, 'after mine');
    await eventually(() => expect(client.conversation(conv.id)?.unread_count).toBe(1));
    client.markRead(conv.id);
    expect(client.conversation(conv.id)?.unread_count).toBe(0);
    await eventually(() => expect(serverCount()).toBe(0));
    expect(unread.map((u) => u.count)).toEqual([3, 4, 5, 1, 0, 1, 0]);
  });

  it('sends a read made while offline once it reconnects', async () => {
    const { alice, bob, conv } = twoUsers();
    fake.server.append(conv.id, bob.id, 'hi');
    const { client } = fake.open(alice);
    client.connect();
    await eventually(() => expect(client.conversation(conv.id)?.unread_count).toBe(1));
    await client.loadOlder(conv.id);
    client.disconnect();
    client.markRead(conv.id);
    expect(client.conversation(conv.id)?.unread_count).toBe(0);
    expect(fake.server.frames('read')).toEqual([]);
    client.connect();
    await eventually(() => expect(fake.server.frames('read')).toEqual([expect.objectContaining({ seq: 1 })]));
  });
});
