import { beforeAll, expect, it } from 'vitest';
import { LARGE_ROOM_THRESHOLD, type Cluster } from '../support/cluster.ts';
import { api, connect, createConversation, register, sendMessage, type TestServer, type TestUser } from '../support/harness.ts';
import { eventually } from '../support/eventually.ts';
import { roomChannel } from '../../src/bus/bus.ts';

/** Conversations that grow past the large-room threshold switch to one room channel, and nobody misses a message. */
export function roomsSuite(cluster: Cluster): void {
  let a: TestServer, b: TestServer;
  beforeAll(() => ({ a, b } = cluster));

  it('keeps delivering to every member as a group grows into a large room and members leave', async () => {
    const users = await Promise.all(Array.from({ length: LARGE_ROOM_THRESHOLD + 2 }, () => register(a.url)));
    const [admin, ...others] = users;
    const group = await createConversation(a.url, admin!, others.slice(0, 2), 'group'); // small: 3 members
    const sockets = await Promise.all(users.map((u, i) => connect(i % 2 ? b : a, u)));
    const roomListeners = () =>
      [...a.parley.hub.connections(), ...b.parley.hub.connections()].filter((c) => c.channels.has(roomChannel(group.id))).length;

    await sendMessage(sockets[0]!, group.id, 'small');
    expect(roomListeners()).toBe(0);

    const grow = await api(a.url, 'POST', `/api/v1/conversations/${group.id}/members`, {
      token: admin!.token,
      body: { user_ids: others.slice(2).map((u) => u.id) },
    });
    expect(grow.status).toBe(200);
    await eventually(() => expect(roomListeners()).toBe(users.length));

    const big = await sendMessage(sockets[3]!, group.id, 'large');
    for (const s of sockets) await s.next((f) => f.type === 'message' && f.message_id === big.message_id);
    // The sender's typing reaches the others through the room, once.
    sockets[1]!.sendRaw(JSON.stringify({ type: 'typing', conversation_id: group.id, state: 'start' }));
    await sockets[2]!.next((f) => f.type === 'typing' && f.user_id === users[1]!.id);

    const leaver = users.at(-1)!;
    const leaverSocket = sockets.at(-1)!;
    expect((await api(a.url, 'DELETE', `/api/v1/conversations/${group.id}/members/${leaver.id}`, { token: leaver.token })).status).toBe(204);
    await leaverSocket.next((f) => f.type === 'conversation' && f.event === 'removed');
    await eventually(() => expect(roomListeners()).toBe(users.length - 1));
    const after = await sendMessage(sockets[0]!, group.id, 'after leaving');
    await sockets[1]!.next((f) => f.type === 'message' && f.message_id === after.message_id);
    expect(await leaverSocket.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(leaverSocket.messages(group.id).some((m) => m.message_id === after.message_id)).toBe(false);
    sockets.forEach((s) => s.close());
  });

  it("gives a user's later sockets the large rooms their first socket follows, as membership changes", async () => {
    const users = await Promise.all(Array.from({ length: LARGE_ROOM_THRESHOLD + 1 }, () => register(a.url)));
    const [owner, x, ...rest] = users as [TestUser, TestUser, ...TestUser[]];
    const first = await createConversation(a.url, owner, [x, ...rest], 'group');
    const hears = (socket: Awaited<ReturnType<typeof connect>>, id: string) =>
      [...a.parley.hub.connections()].some((c) => c.channels.has(roomChannel(id)) && socket.frames[0]!.connection_id === c.id);

    const s1 = await connect(a, x);
    expect(hears(s1, first.id)).toBe(true);
    // A second large room while s1 is connected: s1 follows it from its user channel.
    const second = await createConversation(a.url, owner, [x, ...rest], 'group');
    await eventually(() => expect(hears(s1, second.id)).toBe(true));

    // Later sockets (several at once) hear both rooms, and get their messages.
    const more = await Promise.all([connect(a, x), connect(a, x), connect(a, x)]);
    const ownerSocket = await connect(b, owner);
    const hello = await sendMessage(ownerSocket, second.id, 'to the second room');
    for (const s of [s1, ...more]) {
      expect(hears(s, first.id) && hears(s, second.id)).toBe(true);
      await s.next((f) => f.type === 'message' && f.message_id === hello.message_id);
    }

    // x leaves the first room: every socket, and any socket opened after, stops hearing it.
    expect((await api(a.url, 'DELETE', `/api/v1/conversations/${first.id}/members/${x.id}`, { token: x.token })).status).toBe(204);
    await eventually(() => expect([s1, ...more].some((s) => hears(s, first.id))).toBe(false));
    const late = await connect(a, x);
    expect(hears(late, first.id)).toBe(false);
    expect(hears(late, second.id)).toBe(true);
    for (const s of [s1, ...more, late, ownerSocket]) s.close();
  });

  it('relays a burst of typing starts once per throttle window', async () => {
    const [alice, bob] = await Promise.all([register(a.url), register(a.url)]);
    const conv = await createConversation(a.url, alice, [bob]);
    const [aliceSocket, bobSocket] = [await connect(a, alice), await connect(b, bob)];
    for (let i = 0; i < 5; i++) aliceSocket.sendRaw(JSON.stringify({ type: 'typing', conversation_id: conv.id, state: 'start' }));
    aliceSocket.sendRaw(JSON.stringify({ type: 'typing', conversation_id: conv.id, state: 'stop' }));
    await bobSocket.next((f) => f.type === 'typing' && f.state === 'stop');
    expect(bobSocket.frames.filter((f) => f.type === 'typing').map((f) => f.state)).toEqual(['start', 'stop']);
    aliceSocket.close();
    bobSocket.close();
  });
}
