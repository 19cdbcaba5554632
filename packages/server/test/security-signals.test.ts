import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../src/bus/memory-bus.ts';
import { MemoryCallStore } from '../src/calls/memory-call-store.ts';
import { MemoryPresence } from '../src/presence/memory-presence.ts';
import { makeDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';
import { api, connect, createConversation, register, startServer, type TestServer, type TestUser } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import { TEST_REDIS_URL, testPrefix } from './support/redis.ts';
import type { TestSocket } from './support/test-socket.ts';

/**
 * Security review #12, signaling findings: call invites that kept a user
 * offline, `sync` outside any per-user budget, and presence subscriptions
 * that outlived the last shared conversation. Every test runs two instances:
 * on PostgreSQL and Redis when TEST_DATABASE_URL and TEST_REDIS_URL are set,
 * else on PGlite with in-process adapters shared by both.
 */
let database: TestDatabase;
const servers: TestServer[] = [];
beforeAll(async () => {
  database = await makeDatabase(TEST_DATABASE_URL ? 'postgres' : 'pglite');
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await database?.drop();
});

/** Two instances sharing bus, presence, call state (and, on Redis, rate limits). */
async function instances(env: Record<string, string> = {}): Promise<[TestServer, TestServer]> {
  const shared = TEST_REDIS_URL
    ? { env: { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: testPrefix(), ...env } }
    : { bus: new MemoryBus(), presence: new MemoryPresence(45_000), calls: new MemoryCallStore(), env };
  const pair = [await startServer(database.db, shared), await startServer(database.db, shared)] as [TestServer, TestServer];
  servers.push(...pair);
  return pair;
}

/** Resolves once every frame `socket` sent before has been handled (frames of a socket are handled in order). */
const settle = (socket: TestSocket) => socket.request({ type: 'ping' });
const errorFor = (socket: TestSocket, id: string) => socket.frames.find((f) => f.type === 'error' && f.id === id);
const invitesOf = (socket: TestSocket) => socket.frames.filter((f) => f.type === 'call_invite');

describe('call invites (finding 1)', () => {
  const offer = (bytes = 200) => ({ type: 'offer', sdp: `v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=x:${'x'.repeat(Math.max(0, bytes - 40))}\r\n` });
  let seq = 0;
  /** Sends an invite with `id` = its call id (errors echo it), without waiting. */
  function invite(socket: TestSocket, conversationId: string, options: { sdpBytes?: number; lifetime?: number } = {}): string {
    const callId = `inv-${Date.now().toString(36)}-${seq++}`;
    socket.sendRaw(JSON.stringify({
      type: 'call_invite', id: callId, call_id: callId, party_id: 'p', conversation_id: conversationId,
      lifetime: options.lifetime ?? 120_000, offer: offer(options.sdpBytes),
    }));
    return callId;
  }
  async function attackers(server: TestServer, victim: TestUser, n: number) {
    return Promise.all(Array.from({ length: n }, async () => {
      const user = await register(server.url);
      const conv = await createConversation(server.url, user, [victim]);
      return { user, conv: conv.id, socket: await connect(server, user) };
    }));
  }
  const refusedBusy = (socket: TestSocket, callId: string) =>
    socket.frames.some((f) => f.type === 'call_hangup' && f.call_id === callId && f.reason === 'user_busy');

  it('refuses an SDP larger than 16 KiB', async () => {
    const [x] = await instances();
    const victim = await register(x.url);
    const [m] = await attackers(x, victim, 1);
    const big = invite(m!.socket, m!.conv, { sdpBytes: 16 * 1024 + 1 });
    const fits = invite(m!.socket, m!.conv, { sdpBytes: 16 * 1024 - 100 });
    await settle(m!.socket);
    expect(errorFor(m!.socket, big)).toMatchObject({ code: 'validation_failed' });
    expect(errorFor(m!.socket, fits)).toBeUndefined();
    m!.socket.close();
  });

  it('rings at most 2 calls per caller and invitee and 8 per invitee, however many callers share them', async () => {
    const [x, y] = await instances();
    const victim = await register(x.url);
    const phone = await connect(y, victim);
    const mallories = await attackers(x, victim, 5);
    const sent: string[][] = [];
    // Four callers try three each: two ring, the third is refused (conflict, and user_busy for the caller).
    for (const m of mallories.slice(0, 4)) {
      const ids = [invite(m.socket, m.conv), invite(m.socket, m.conv), invite(m.socket, m.conv)];
      sent.push(ids);
      await settle(m.socket);
      expect(ids.map((id) => errorFor(m.socket, id)?.code ?? null)).toEqual([null, null, 'conflict']);
      await eventually(() => expect(refusedBusy(m.socket, ids[2]!)).toBe(true));
    }
    // Eight ring the victim: a fifth caller is refused although it rings nobody yet.
    const fifth = mallories[4]!;
    const late = invite(fifth.socket, fifth.conv);
    await settle(fifth.socket);
    expect(errorFor(fifth.socket, late)).toMatchObject({ code: 'conflict' });
    await eventually(() => expect(refusedBusy(fifth.socket, late)).toBe(true));
    await eventually(() => expect(invitesOf(phone)).toHaveLength(8));
    expect(invitesOf(phone).map((f) => f.call_id).sort()).toEqual(sent.flatMap((ids) => ids.slice(0, 2)).sort());

    // A call that stops ringing frees its place.
    const first = mallories[0]!;
    first.socket.sendRaw(JSON.stringify({ type: 'call_hangup', call_id: sent[0]![0], party_id: 'p' }));
    await phone.next((f) => f.type === 'call_hangup' && f.call_id === sent[0]![0]);
    const again = invite(fifth.socket, fifth.conv);
    await phone.next((f) => f.type === 'call_invite' && f.call_id === again);
    for (const s of [phone, ...mallories.map((m) => m.socket)]) s.close();
  });

  it('replays a bounded number of ringing invites, newest first, to a device that connects, which stays connected', async () => {
    // A small send buffer, so that what used to be replayed overflows it many times over.
    const [x, y] = await instances({ WS_MAX_BUFFERED_BYTES: String(256 * 1024) });
    const victim = await register(x.url);
    const mallories = await attackers(x, victim, 4);
    const order: string[] = [];
    for (let round = 0; round < 30; round++) {
      for (const m of mallories) order.push(invite(m.socket, m.conv, { sdpBytes: 15 * 1024 }));
    }
    await Promise.all(mallories.map((m) => settle(m.socket)));

    const device = await connect(y, victim);
    await eventually(() => expect(invitesOf(device).length).toBeGreaterThan(0));
    // Before the fix every stored invite was written at once and the socket was closed as a slow consumer (4000).
    const outcome = await Promise.race([settle(device), device.closed().then((code) => ({ type: 'closed', code }))]);
    expect(outcome).toMatchObject({ type: 'pong' });
    expect(device.closeCode).toBeNull();
    const replayed = invitesOf(device);
    expect(replayed.length).toBeLessThanOrEqual(8);
    expect(replayed.every((f) => order.includes(f.call_id as string))).toBe(true);
    // Newest first: every invite had the same lifetime, so the newest has the most left.
    const left = replayed.map((f) => f.lifetime as number);
    expect(left).toEqual([...left].sort((a, b) => b - a));
    device.close();
    for (const m of mallories) m.socket.close();
  });

  it('counts invites per invitee, whoever calls (RATE_LIMIT_INVITES)', async () => {
    const [x] = await instances({ RATE_LIMIT_INVITES: '0.01:3' });
    const [victim, other] = [await register(x.url), await register(x.url)];
    const mallories = await attackers(x, victim, 4);
    const ids: string[] = [];
    for (const m of mallories) {
      ids.push(invite(m.socket, m.conv));
      await settle(m.socket);
    }
    expect(ids.slice(0, 3).map((id, i) => errorFor(mallories[i]!.socket, id) ?? null)).toEqual([null, null, null]);
    expect(errorFor(mallories[3]!.socket, ids[3]!)).toMatchObject({ code: 'rate_limited', retry_after: expect.any(Number) });
    await eventually(() => expect(refusedBusy(mallories[3]!.socket, ids[3]!)).toBe(true));
    // Another invitee is unaffected, even by the same caller.
    const conv = await createConversation(x.url, mallories[3]!.user, [other]);
    const fine = invite(mallories[3]!.socket, conv.id);
    await settle(mallories[3]!.socket);
    expect(errorFor(mallories[3]!.socket, fine)).toBeUndefined();
    for (const m of mallories) m.socket.close();
  });
});

describe('sync budget (finding 8)', () => {
  it('refuses a burst of big syncs from one user with rate_limited after the budget; another user syncs unaffected', async () => {
    const [x, y] = await instances({ RATE_LIMIT_SYNC: '500:2000' });
    const [alice, bob] = [await register(x.url), await register(x.url)];
    const conv = await createConversation(x.url, alice, [bob]);
    // One user's budget, whichever socket (and, on Redis, whichever instance) asks.
    const sockets = [await connect(x, alice), await connect(TEST_REDIS_URL ? y : x, alice)];
    const cursors = Object.fromEntries([conv.id, ...Array.from({ length: 499 }, () => crypto.randomUUID())].map((id) => [id, 0]));
    const started = Date.now();
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => sockets[i % 2]!.request({ type: 'sync', cursors })));
    const seconds = (Date.now() - started) / 1000;
    const synced = replies.filter((r) => r.type === 'synced');
    const refused = replies.filter((r) => r.type === 'error');
    // The burst (2000 cursors: four syncs of 500) plus what refilled meanwhile, not all twelve.
    expect(synced.length).toBeGreaterThanOrEqual(4);
    expect(synced.length).toBeLessThanOrEqual(4 + Math.ceil(seconds) + 1);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.code === 'rate_limited' && (r.retry_after as number) >= 1)).toBe(true);

    const other = await connect(y, bob);
    expect(await other.request({ type: 'sync', cursors })).toMatchObject({ type: 'synced' });
    for (const s of [...sockets, other]) s.close();
  });
});

describe('presence subscriptions (finding 11)', () => {
  const presenceOf = (socket: TestSocket, user: TestUser) => socket.frames.filter((f) => f.type === 'presence' && f.user_id === user.id);
  const subscribe = async (socket: TestSocket, user: TestUser) => {
    const reply = await socket.request({ type: 'presence_subscribe', user_ids: [user.id] });
    expect(await socket.next((f) => f.type === 'presence_subscribed' && f.id === reply.id)).toMatchObject({ user_ids: [user.id] });
  };
  /** `user` goes online (a new socket) or offline (closes it); `witness`, who may still watch, hears it first. */
  async function toggle(server: TestServer, user: TestUser, witness: TestSocket, socket: TestSocket | null): Promise<TestSocket | null> {
    const heard = presenceOf(witness, user).length;
    let next: TestSocket | null = null;
    if (socket) socket.close();
    else next = await connect(server, user);
    await eventually(() => expect(presenceOf(witness, user).length).toBe(heard + 1));
    return next;
  }

  it('stops telling a member about a user who left the last conversation they shared, not before, on every instance', async () => {
    const [x, y] = await instances();
    const [alice, bob, carol, dave] = [await register(x.url), await register(x.url), await register(x.url), await register(x.url)];
    // Alice and Bob share two groups (Carol's). Dave shares a direct chat with Bob and watches him on Alice's
    // instance: once he has heard a change, Alice would have heard it too.
    const [first, second] = [await createConversation(x.url, carol, [alice, bob]), await createConversation(x.url, carol, [alice, bob])];
    await createConversation(x.url, dave, [bob]);
    const [aliceWatch, daveWatch] = [await connect(x, alice), await connect(x, dave)];
    await subscribe(aliceWatch, bob);
    await subscribe(daveWatch, bob);

    // Removed from one group, Bob still shares the other with Alice: she still hears him.
    expect((await api(y.url, 'DELETE', `/api/v1/conversations/${first.id}/members/${bob.id}`, { token: carol.token })).status).toBe(204);
    let bobSocket = await toggle(y, bob, daveWatch, null);
    await aliceWatch.request({ type: 'ping' });
    expect(presenceOf(aliceWatch, bob).at(-1)).toMatchObject({ status: 'online' });
    bobSocket = await toggle(y, bob, daveWatch, bobSocket);
    await aliceWatch.request({ type: 'ping' });
    expect(presenceOf(aliceWatch, bob).at(-1)).toMatchObject({ status: 'offline' });

    // Bob leaves the last group they share: Alice hears no more of him.
    expect((await api(y.url, 'DELETE', `/api/v1/conversations/${second.id}/members/${bob.id}`, { token: bob.token })).status).toBe(204);
    await aliceWatch.next((f) => f.type === 'conversation' && f.event === 'updated' && (f.conversation as { id: string }).id === second.id);
    const heard = presenceOf(aliceWatch, bob).length;
    bobSocket = await toggle(y, bob, daveWatch, null);
    await toggle(y, bob, daveWatch, bobSocket);
    await aliceWatch.request({ type: 'ping' });
    expect(presenceOf(aliceWatch, bob)).toHaveLength(heard);
    // Nor may she subscribe again.
    expect(await aliceWatch.request({ type: 'presence_subscribe', user_ids: [bob.id] })).toMatchObject({ type: 'presence_subscribed', user_ids: [] });
    for (const s of [aliceWatch, daveWatch]) s.close();
  });

  it('stops telling a removed user about the members they no longer share a conversation with', async () => {
    const [x, y] = await instances();
    const [alice, bob, carol, dave] = [await register(x.url), await register(x.url), await register(x.url), await register(x.url)];
    const group = await createConversation(x.url, carol, [alice, bob]);
    await createConversation(x.url, dave, [alice]);
    // Bob watches Alice from one instance, Dave (who keeps sharing a chat with her) from the same one.
    const [bobWatch, daveWatch] = [await connect(y, bob), await connect(y, dave)];
    await subscribe(bobWatch, alice);
    await subscribe(daveWatch, alice);
    let aliceSocket = await toggle(x, alice, daveWatch, null);
    await bobWatch.request({ type: 'ping' });
    expect(presenceOf(bobWatch, alice).at(-1)).toMatchObject({ status: 'online' });

    expect((await api(x.url, 'DELETE', `/api/v1/conversations/${group.id}/members/${bob.id}`, { token: carol.token })).status).toBe(204);
    await bobWatch.next((f) => f.type === 'conversation' && f.event === 'removed');
    const heard = presenceOf(bobWatch, alice).length;
    aliceSocket = await toggle(x, alice, daveWatch, aliceSocket);
    await toggle(x, alice, daveWatch, null).then((s) => s?.close());
    await bobWatch.request({ type: 'ping' });
    expect(presenceOf(bobWatch, alice)).toHaveLength(heard);
    for (const s of [bobWatch, daveWatch]) s.close();
  });
});
