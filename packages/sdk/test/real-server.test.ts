import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCodes, type ConversationId, type MessageView } from '@parley/protocol';
import type { ParleyClient } from '../src/client.ts';
import { isSystemEntry, isTextEntry } from '../src/entries.ts';
import { ParleyError } from '../src/errors.ts';
import { FileOutboxStore } from '../src/outbox-stores/file-outbox-store.ts';
import type { OutboxEvent } from '../src/outbox.ts';
import { eventually } from './support/eventually.ts';
import { useRealServer } from './support/real-server.ts';

/** The SDK against the real server (PGlite in memory): what the fake cannot prove. */
describe('against the real server', () => {
  const real = useRealServer();
  const newClient = real.client;
  const registered = real.registered;
  const text = (m: MessageView) => (m.message.type === 'text' ? m.message.text : m.message.type === 'system' ? `[${m.message.event}]` : `[${m.message.type}]`);
  const texts = (client: ParleyClient, id: ConversationId) => client.messages(id).map(text);

  /** Every seq once, 1..n with no hole, and every message id once. */
  function expectExactlyOnceInOrder(client: ParleyClient, id: ConversationId, n: number): void {
    const log = client.messages(id);
    expect(log.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(new Set(log.map((m) => m.message_id)).size).toBe(n);
  }

  /** Counts `message` events per seq: each must come exactly once. */
  function countMessages(client: ParleyClient): Map<number, number> {
    const counts = new Map<number, number>();
    client.on('message', ({ entry }) => counts.set(entry.seq, (counts.get(entry.seq) ?? 0) + 1));
    return counts;
  }

  async function serverHistory(client: ParleyClient, id: ConversationId): Promise<MessageView[]> {
    return (await client.api.history(id, { after_seq: 0, limit: 200 })).messages;
  }

  it('two clients register, open a direct conversation, exchange messages and see delivered and read ticks', async () => {
    const alice = await registered('alice');
    const bob = await registered('bob');
    alice.connect();
    bob.connect();
    await Promise.all([alice.connected(), bob.connected()]);

    const conv = await alice.createDirect(bob.user!.id);
    expect(conv).toMatchObject({ type: 'direct', last_seq: 0 });
    // Bob hears of it from a `conversation` frame.
    await eventually(() => expect(bob.conversation(conv.id)).toBeDefined());

    alice.send(conv.id, 'hello bob');
    await eventually(() => expect(texts(bob, conv.id)).toEqual(['hello bob']));
    expect(bob.conversation(conv.id)?.unread_count).toBe(1);
    // Bob's client reports delivery by itself.
    await eventually(() => expect(alice.messageStatus(conv.id, 1)).toBe('delivered'));
    bob.markRead(conv.id);
    expect(bob.conversation(conv.id)?.unread_count).toBe(0);
    await eventually(() => expect(alice.messageStatus(conv.id, 1)).toBe('read'));

    bob.send(conv.id, 'hi alice');
    await eventually(() => expect(texts(alice, conv.id)).toEqual(['hello bob', 'hi alice']));
    expect(alice.conversation(conv.id)?.unread_count).toBe(1);
    alice.markRead(conv.id);
    await eventually(async () => expect((await bob.api.getConversation(conv.id)).members.find((m) => m.id === alice.user!.id)?.read_seq).toBe(2));
    expect(texts(bob, conv.id)).toEqual(['hello bob', 'hi alice']);

    alice.setTyping(conv.id, true);
    await eventually(() => expect(bob.typingUsers(conv.id)).toEqual([alice.user!.id]));
    alice.setTyping(conv.id, false);
    await eventually(() => expect(bob.typingUsers(conv.id)).toEqual([]));

    alice.subscribePresence([bob.user!.id]);
    await eventually(() => expect(alice.presenceOf(bob.user!.id)?.status).toBe('online'));
    bob.disconnect();
    await eventually(() => expect(alice.presenceOf(bob.user!.id)?.status).toBe('offline'));
  });

  it('send resolves with the ack; a chosen clientMsgId is stored once; a refusal rejects with a ParleyError code', async () => {
    const alice = await registered('alice');
    const bob = await registered('bob');
    alice.connect();
    await alice.connected();
    const conv = await alice.createDirect(bob.user!.id);
    const pending = alice.send(conv.id, 'first');
    expect(pending.status).toBe('pending');
    const ack = await pending;
    expect(ack).toMatchObject({ conversation_id: conv.id, seq: 1, duplicate: false, client_msg_id: pending.client_msg_id });
    expect(alice.messages(conv.id)[0]?.message_id).toBe(ack.message_id);

    const again = await alice.send(conv.id, 'answer', { clientMsgId: 'answer-to-x' });
    // The same id once more (a bot handed the same entry again after a crash): the original is returned, nothing stored.
    const repeat = await alice.send(conv.id, 'answer', { clientMsgId: 'answer-to-x' });
    expect(repeat).toMatchObject({ seq: again.seq, message_id: again.message_id, duplicate: true });
    expect((await serverHistory(alice, conv.id)).map((m) => m.seq)).toEqual([1, 2]);

    const stranger = await registered('carol');
    stranger.connect();
    await stranger.connected();
    const refused = stranger.send(conv.id, 'let me in');
    await expect(refused).rejects.toBeInstanceOf(ParleyError);
    await expect(refused.ack).rejects.toMatchObject({ code: 'conversation_not_found' });
    await expect(stranger.api.history(conv.id, { after_seq: 0 })).rejects.toMatchObject({ name: 'ParleyError', code: 'conversation_not_found', status: 404 });

    const entries = alice.messages(conv.id);
    expect(entries.filter(isTextEntry).map((e) => e.message.text)).toEqual(['first', 'answer']);
    expect(entries.filter(isSystemEntry)).toEqual([]);
  });

  it('a bot signs in with its token alone, talks, and is logged out when the token is revoked', async () => {
    const owner = await registered('owner');
    const username = real.username('bot');
    const bot = await owner.api.request<{ id: string }>('POST', '/bots', { body: { username } });
    const issued = await owner.api.request<{ id: string; token: string }>('POST', `/bots/${bot.id}/tokens`, { body: { name: 'sdk' } });
    const client = newClient();
    const me = await client.loginWithBotToken(issued.token);
    expect(me).toMatchObject({ id: bot.id, kind: 'bot' });
    expect(client.sessionData?.refresh_token).toBe('');
    client.connect();
    await client.connected();
    const conv = await owner.createDirect(bot.id);
    await eventually(() => expect(client.conversation(conv.id)).toBeDefined());
    expect((await client.send(conv.id, 'beep')).seq).toBe(1);
    await expect(newClient().loginWithBotToken('pbt_wrong')).rejects.toMatchObject({ code: 'invalid_credentials', status: 401 });

    const loggedOut = new Promise((resolve) => client.on('logged_out', resolve));
    await owner.api.request('DELETE', `/bots/${bot.id}/tokens/${issued.id}`);
    // The socket is closed (4401); renewing with the revoked bot token fails for good: the session ends.
    expect(await loggedOut).toEqual({ reason: 'invalid_refresh_token' });
    expect(client.state).toBe('disconnected');
  });

  it('after an offline spell, missed and queued messages each arrive exactly once, in order, on both sides', async () => {
    const alice = await registered('alice');
    const bob = await registered('bob');
    const aliceCounts = countMessages(alice);
    const bobCounts = countMessages(bob);
    alice.connect();
    bob.connect();
    await Promise.all([alice.connected(), bob.connected()]);
    const conv = await alice.createDirect(bob.user!.id);
    alice.send(conv.id, 'before');
    await eventually(() => expect(texts(bob, conv.id)).toEqual(['before']));

    bob.disconnect();
    for (const t of ['a1', 'a2', 'a3']) alice.send(conv.id, t);
    for (const t of ['b1', 'b2', 'b3']) bob.send(conv.id, t);
    await eventually(() => expect(alice.pending()).toEqual([]));
    expect(bob.pending(conv.id).map((e) => e.text)).toEqual(['b1', 'b2', 'b3']);
    expect(texts(bob, conv.id)).toEqual(['before']);

    bob.connect();
    await eventually(() => expect(bob.pending()).toEqual([]));
    await eventually(() => expect(alice.messages(conv.id)).toHaveLength(7));
    await eventually(() => expect(bob.messages(conv.id)).toHaveLength(7));
    expect(texts(alice, conv.id)).toEqual(['before', 'a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    expect(texts(bob, conv.id)).toEqual(texts(alice, conv.id));

    // Now the server drops Bob right as he sends: acks may be lost, resends must not double anything.
    for (const t of ['c1', 'c2', 'c3', 'c4', 'c5']) bob.send(conv.id, t);
    for (const conn of real.server.parley.hub.connections()) {
      if (conn.userId === bob.user!.id) conn.close(CloseCodes.serviceRestart, 'test restart');
    }
    await eventually(() => expect(bob.pending()).toEqual([]));
    await eventually(() => expect(alice.messages(conv.id)).toHaveLength(12));
    await eventually(() => expect(bob.messages(conv.id)).toHaveLength(12));

    const history = await serverHistory(alice, conv.id);
    const sent = history.map((m) => (m.message.type === 'text' ? m.message.client_msg_id : ''));
    expect(new Set(sent).size).toBe(12);
    for (const client of [alice, bob]) {
      expectExactlyOnceInOrder(client, conv.id, 12);
      expect(client.messages(conv.id).map((m) => m.message_id)).toEqual(history.map((m) => m.message_id));
    }
    expect(texts(bob, conv.id).slice(-5)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    for (const counts of [aliceCounts, bobCounts]) {
      expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    }
  });

  it('a client restarted with a FileOutboxStore holding unacked messages delivers them exactly once', async () => {
    const path = join(real.dir, 'carol', 'outbox.json');
    const alice = await registered('alice');
    alice.connect();
    const carol = await registered('carol', { outbox: new FileOutboxStore(path) });
    const conv = await carol.createDirect(alice.user!.id);

    // Written while offline, then the process goes away before any of it was sent.
    for (const t of ['m1', 'm2', 'm3']) carol.send(conv.id, t);
    await eventually(async () => expect(await new FileOutboxStore(path).load()).toHaveLength(3));
    const session = carol.sessionData!;
    await carol.close();

    // And one that the server stored just before a crash, whose ack never made it back: it is still in the file.
    const lostAck = crypto.randomUUID();
    await carol.api.request('POST', `/conversations/${conv.id}/messages`, {
      body: { type: 'text', text: 'stored, ack lost', client_msg_id: lostAck },
    });
    const file = new FileOutboxStore(path);
    await file.put({
      client_msg_id: lostAck,
      conversation_id: conv.id,
      user_id: session.user.id,
      text: 'stored, ack lost',
      sent_at: new Date().toISOString(),
      order: 0,
      status: 'pending',
    });

    const restarted = newClient({ session, outbox: new FileOutboxStore(path) });
    const events: OutboxEvent[] = [];
    restarted.on('outbox', (e) => events.push(e));
    expect(restarted.pending(conv.id)).toEqual([]);
    restarted.connect();
    await eventually(() => expect(events.filter((e) => e.kind === 'sent')).toHaveLength(4));
    await eventually(async () => expect(await new FileOutboxStore(path).load()).toEqual([]));

    const history = await serverHistory(alice, conv.id);
    expect(history.map(text)).toEqual(['stored, ack lost', 'm1', 'm2', 'm3']);
    const ids = history.map((m) => (m.message.type === 'text' ? m.message.client_msg_id : ''));
    expect(new Set(ids).size).toBe(4);
    const acks = events.flatMap((e) => (e.kind === 'sent' ? [e.ack] : []));
    expect(acks.map((a) => [a.seq, a.duplicate])).toEqual([
      [1, true],
      [2, false],
      [3, false],
      [4, false],
    ]);
    // Alice, connected throughout, got each once, in order.
    await eventually(() => expect(alice.messages(conv.id)).toHaveLength(4));
    expectExactlyOnceInOrder(alice, conv.id, 4);
    expect(texts(alice, conv.id)).toEqual(['stored, ack lost', 'm1', 'm2', 'm3']);
  });
});
