import { describe, expect, it } from 'vitest';
import { CloseCodes } from '@parley/protocol';
import { MemoryOutboxStore } from '../src/outbox-stores/memory-outbox-store.ts';
import type { OutboxStore } from '../src/outbox-stores/outbox-store.ts';
import { eventually } from './support/eventually.ts';
import { record, useFakeServer } from './support/clients.ts';

const texts = (log: ReadonlyArray<{ message: { type: string; text?: string } }>) =>
  log.map((e) => (e.message.type === 'text' ? e.message.text : e.message.type));

/** The durable outbox: pending entries, resend with the same client_msg_id, order, failures. */
describe('outbox', () => {
  const fake = useFakeServer();

  function twoUsers() {
    const alice = fake.server.addUser('alice');
    const bob = fake.server.addUser('bob');
    const conv = fake.server.addConversation([alice.id, bob.id]);
    return { alice, bob, conv };
  }

  it('returns a pending entry at once, sends it when connected, and replaces it by the stored message', async () => {
    const { alice, conv } = twoUsers();
    const { client } = fake.open(alice, { randomUUID: () => 'c-1' });
    const events = record(client, 'outbox');
    const pending = client.send(conv.id, 'hello');
    expect(pending).toMatchObject({ client_msg_id: 'c-1', conversation_id: conv.id, text: 'hello', status: 'pending' });
    expect(client.pending(conv.id)).toEqual([pending]);
    expect(client.messages(conv.id)).toEqual([]);

    client.connect();
    await eventually(() => expect(client.pending(conv.id)).toEqual([]));
    expect(client.messages(conv.id)).toEqual([
      expect.objectContaining({ seq: 1, sender_id: alice.id, message: expect.objectContaining({ client_msg_id: 'c-1', text: 'hello' }) }),
    ]);
    expect(events.map((e) => e.kind)).toEqual(['queued', 'sent']);
    expect(texts(conv.log)).toEqual(['hello']);
  });

  it('resends unacknowledged messages after a reconnect with the same client_msg_id, and nothing doubles', async () => {
    const { alice, conv } = twoUsers();
    const { client } = fake.open(alice);
    const seen = record(client, 'message');
    client.connect();
    await client.connected();
    // The server stores the first two but their acks never arrive.
    fake.server.drop(1, (f) => f.type === 'ack');
    const first = client.send(conv.id, 'one');
    const second = client.send(conv.id, 'two');
    await eventually(() => expect(conv.log).toHaveLength(1));
    fake.server.drop(1, (f) => f.type === 'message');
    fake.server.closeAll(CloseCodes.serviceRestart);
    client.send(conv.id, 'three');

    await eventually(() => expect(client.pending()).toEqual([]));
    expect(texts(conv.log)).toEqual(['one', 'two', 'three']);
    const sent = fake.server.frames('send_message').map((f) => (f.message as { client_msg_id: string }).client_msg_id);
    expect(sent.filter((id) => id === first.client_msg_id)).toHaveLength(2);
    expect(sent.filter((id) => id === second.client_msg_id)).toHaveLength(1);
    await eventually(() => expect(texts(client.messages(conv.id))).toEqual(['one', 'two', 'three']));
    expect(seen.map((e) => e.entry.seq)).toEqual([1, 2, 3]);
  });

  it('sends the messages of one conversation in the order they were written', async () => {
    const { alice, conv } = twoUsers();
    const { client } = fake.open(alice);
    for (let n = 1; n <= 10; n++) client.send(conv.id, `m${n}`);
    client.connect();
    await eventually(() => expect(conv.log).toHaveLength(10));
    expect(texts(conv.log)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
  });

  it('marks a message refused for good as failed, goes on with the next, and lets the app retry or discard it', async () => {
    const { alice, conv } = twoUsers();
    const { client } = fake.open(alice);
    const events = record(client, 'outbox');
    let refuse = 2;
    fake.server.sendFault = () => (refuse-- > 0 ? { code: 'forbidden', message: 'not now' } : null);
    client.connect();
    const bad = client.send(conv.id, 'refused');
    const worse = client.send(conv.id, 'refused too');
    client.send(conv.id, 'fine');
    await eventually(() => expect(texts(conv.log)).toEqual(['fine']));
    await eventually(() => expect(client.pending(conv.id)).toHaveLength(2));
    expect(client.pending(conv.id)).toEqual([
      expect.objectContaining({ client_msg_id: bad.client_msg_id, status: 'failed', error: { code: 'forbidden', message: 'not now' } }),
      expect.objectContaining({ client_msg_id: worse.client_msg_id, status: 'failed' }),
    ]);
    expect(events.filter((e) => e.kind === 'failed')).toHaveLength(2);

    expect(client.retrySend(bad.client_msg_id)).toBe(true);
    expect(client.discardSend(worse.client_msg_id)).toBe(true);
    await eventually(() => expect(texts(conv.log)).toEqual(['fine', 'refused']));
    expect((conv.log[1]!.message as { client_msg_id: string }).client_msg_id).toBe(bad.client_msg_id);
    await eventually(() => expect(client.pending()).toEqual([]));
  });

  it('retries a retryable refusal after the server’s retry_after, holding later messages back', async () => {
    const { alice, conv } = twoUsers();
    const { client } = fake.open(alice);
    let refuse = 1;
    fake.server.sendFault = () => (refuse-- > 0 ? { code: 'rate_limited', retry_after: 0.05 } : null);
    client.connect();
    client.send(conv.id, 'first');
    client.send(conv.id, 'second');
    await eventually(() => expect(texts(conv.log)).toEqual(['first', 'second']));
    await eventually(() => expect(client.pending()).toEqual([]));
    expect(fake.server.frames('send_message')).toHaveLength(3);
  });

  it('keeps sends across a restart of the client: the next instance delivers them once', async () => {
    const { alice, conv } = twoUsers();
    const store = new MemoryOutboxStore();
    const first = fake.open(alice, { outbox: store }).client;
    first.send(conv.id, 'written offline 1');
    first.send(conv.id, 'written offline 2');
    await first.close();
    expect(await store.load()).toHaveLength(2);

    const second = fake.open(alice, { outbox: store }).client;
    second.connect();
    await eventually(() => expect(texts(conv.log)).toEqual(['written offline 1', 'written offline 2']));
    await eventually(async () => expect(await store.load()).toEqual([]));
  });

  it('sends entries the store yields only after the socket is ready', async () => {
    const { alice, conv } = twoUsers();
    const seeded = new MemoryOutboxStore();
    await seeded.put({
      client_msg_id: 'from-disk',
      conversation_id: conv.id,
      user_id: alice.id,
      text: 'read late from disk',
      sent_at: new Date().toISOString(),
      order: 1,
      status: 'pending',
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: OutboxStore = {
      load: async () => (await gate, seeded.load()),
      put: (e) => seeded.put(e),
      delete: (id) => seeded.delete(id),
    };
    const { client } = fake.open(alice, { outbox: slow });
    client.connect();
    await client.connected();
    release();
    await eventually(() => expect(texts(conv.log)).toEqual(['read late from disk']));
    await eventually(async () => expect(await seeded.load()).toEqual([]));
  });

  it('never sends another account’s entries from a shared store', async () => {
    const { alice, bob, conv } = twoUsers();
    const store = new MemoryOutboxStore();
    const asAlice = fake.open(alice, { outbox: store }).client;
    asAlice.send(conv.id, 'from alice');
    await asAlice.close();

    const asBob = fake.open(bob, { outbox: store }).client;
    asBob.connect();
    asBob.send(conv.id, 'from bob');
    await eventually(() => expect(texts(conv.log)).toEqual(['from bob']));
    expect(conv.log[0]!.sender_id).toBe(bob.id);
    await eventually(() => expect(asBob.pending()).toEqual([]));
    expect(await store.load()).toEqual([expect.objectContaining({ text: 'from alice', user_id: alice.id })]);
  });

  it('refuses text the server would refuse, before queueing it', () => {
    const { alice, conv } = twoUsers();
    const { client } = fake.open(alice);
    expect(() => client.send(conv.id, '')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => client.send(conv.id, 'x'.repeat(16_001))).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    // Within the character limit, but past the frame size once escaped.
    expect(() => client.send(conv.id, '\u0001'.repeat(12_000))).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
    expect(client.pending()).toEqual([]);
  });
});
