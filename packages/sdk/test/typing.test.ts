import { describe, expect, it, vi } from 'vitest';
import { eventually } from './support/eventually.ts';
import { record, useFakeServer, useSdkFakeTimers } from './support/clients.ts';

/** Typing indicators: the outgoing throttle and the expiry of incoming ones. */
describe('typing', () => {
  const fake = useFakeServer();

  async function setup() {
    const alice = fake.server.addUser('alice');
    const bob = fake.server.addUser('bob');
    const conv = fake.server.addConversation([alice.id, bob.id]);
    useSdkFakeTimers();
    const { client } = fake.open(alice);
    const typing = record(client, 'typing');
    client.connect();
    await eventually(() => expect(client.state).toBe('connected'));
    return { alice, bob, conv, client, typing };
  }

  it('sends start at most every 3 s while typing, and stop once', async () => {
    const { conv, client } = await setup();
    // A keystroke every 500 ms for 10 s.
    for (let t = 0; t < 10_000; t += 500) {
      client.setTyping(conv.id, true);
      await vi.advanceTimersByTimeAsync(500);
    }
    client.setTyping(conv.id, false);
    client.setTyping(conv.id, false);
    await eventually(() => expect(fake.server.frames('typing').at(-1)?.state).toBe('stop'));
    expect(fake.server.frames('typing').map((f) => f.state)).toEqual(['start', 'start', 'start', 'start', 'stop']);
  });

  it('sends no stop without a start, and starts again at once after a stop', async () => {
    const { conv, client } = await setup();
    client.setTyping(conv.id, false);
    client.setTyping(conv.id, true);
    client.setTyping(conv.id, false);
    client.setTyping(conv.id, true);
    client.send(conv.id, 'sent'); // sending ends typing
    await eventually(() => expect(fake.server.frames('send_message')).toHaveLength(1));
    expect(fake.server.frames('typing').map((f) => f.state)).toEqual(['start', 'stop', 'start', 'stop']);
  });

  it('expires an incoming start after expires_in unless refreshed, and drops it on stop or on a message', async () => {
    const { alice, bob, conv, client, typing } = await setup();
    const start = { type: 'typing', conversation_id: conv.id, user_id: bob.id, state: 'start', expires_in: 6 } as const;
    fake.server.push(start);
    await eventually(() => expect(client.typingUsers(conv.id)).toEqual([bob.id]));
    await vi.advanceTimersByTimeAsync(4_000);
    fake.server.push(start); // refreshed: lasts until 10 s
    await eventually(() => expect(fake.server.sockets()).toBe(1));
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(5_999);
    expect(client.typingUsers(conv.id)).toEqual([bob.id]);
    await vi.advanceTimersByTimeAsync(1);
    expect(client.typingUsers(conv.id)).toEqual([]);

    fake.server.push(start);
    await eventually(() => expect(client.typingUsers(conv.id)).toEqual([bob.id]));
    fake.server.push({ ...start, state: 'stop' });
    await eventually(() => expect(client.typingUsers(conv.id)).toEqual([]));

    fake.server.push(start);
    await eventually(() => expect(client.typingUsers(conv.id)).toEqual([bob.id]));
    fake.server.append(conv.id, bob.id, 'done typing');
    await eventually(() => expect(client.typingUsers(conv.id)).toEqual([]));

    // Its own typing, echoed by a large room, is never shown.
    fake.server.push({ ...start, user_id: alice.id });
    fake.server.push(start);
    await eventually(() => expect(client.typingUsers(conv.id)).toEqual([bob.id]));
    expect(typing.map((t) => t.userIds)).toEqual([[bob.id], [], [bob.id], [], [bob.id], [], [bob.id]]);
  });
});
