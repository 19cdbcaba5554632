import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/bus/memory-bus.ts';
import { RING_CAPS, type CallState, type CallStore } from '../../src/calls/call-store.ts';
import { MemoryCallStore } from '../../src/calls/memory-call-store.ts';
import { RedisCallStore } from '../../src/calls/redis-call-store.ts';
import { MemoryPresence } from '../../src/presence/memory-presence.ts';
import type { RedisConnections } from '../../src/redis.ts';
import { LARGE_ROOM_THRESHOLD, type Cluster } from '../support/cluster.ts';
import { api, connect, createConversation, register, startServer, type TestServer, type TestUser } from '../support/harness.ts';
import { eventually } from '../support/eventually.ts';
import { openTestRedis, testPrefix, TEST_REDIS_URL } from '../support/redis.ts';
import type { TestSocket } from '../support/test-socket.ts';

const OFFER = { type: 'offer', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' };
const ANSWER = { type: 'answer', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n' };
const callFrames = (s: TestSocket, callId: string) => s.frames.filter((f) => f.call_id === callId);

/**
 * Call signaling across instances: ringing, answering on one device, relaying,
 * ending, and the log. The embedded tier (PGlite) runs it on the cluster's
 * MemoryCallStore; the scaled tier (PostgreSQL) on a RedisCallStore when
 * TEST_REDIS_URL is set, through two instances of its own that share it.
 */
export function callsSuite(cluster: Cluster): void {
  let a: TestServer, b: TestServer;
  const onRedis = cluster.kind === 'postgres' && TEST_REDIS_URL !== '';
  let redis: RedisConnections | null = null;
  let redisStore: CallStore | null = null;
  const own: TestServer[] = [];
  beforeAll(async () => {
    if (!onRedis) return ({ a, b } = cluster);
    redis = await openTestRedis();
    redisStore = new RedisCallStore(redis.command, testPrefix());
    const shared = { bus: new MemoryBus(), presence: new MemoryPresence(45_000), calls: redisStore, env: { LARGE_ROOM_THRESHOLD: String(LARGE_ROOM_THRESHOLD) } };
    own.push(await startServer(cluster.database.db, shared), await startServer(cluster.database.db, shared));
    [a, b] = own as [TestServer, TestServer];
  });
  afterAll(async () => {
    for (const s of own) await s.close();
    await redis?.close();
  });

  async function pair(): Promise<[TestUser, TestUser, string]> {
    const [alice, bob] = await Promise.all([register(a.url), register(a.url)]);
    const conv = await createConversation(a.url, alice, [bob]);
    return [alice, bob, conv.id];
  }
  const invite = (conversationId: string, callId: string, extra: Record<string, unknown> = {}) => ({
    type: 'call_invite', conversation_id: conversationId, call_id: callId, party_id: 'alice-phone', lifetime: 30_000, offer: OFFER, ...extra,
  });

  it('rings every device of the callee, connects the one that answers, stops the others, relays, and logs the call', async () => {
    const [alice, bob, conv] = await pair();
    const [a1, a2, b1, b2] = [await connect(a, alice), await connect(b, alice), await connect(a, bob), await connect(b, bob)];
    const callId = `c${Date.now()}`;
    a1.sendRaw(JSON.stringify(invite(conv, callId)));
    for (const s of [b1, b2]) {
      expect(await s.next((f) => f.type === 'call_invite' && f.call_id === callId)).toMatchObject({ sender_id: alice.id, conversation_id: conv, offer: OFFER });
    }
    b2.sendRaw(JSON.stringify({ type: 'call_answer', call_id: callId, party_id: 'bob-laptop', answer: ANSWER }));
    for (const s of [a1, a2]) await s.next((f) => f.type === 'call_answer' && f.call_id === callId && f.party_id === 'bob-laptop');
    expect(await b1.next((f) => f.type === 'call_hangup' && f.call_id === callId)).toMatchObject({ reason: 'answered_elsewhere', party_id: 'bob-laptop' });

    // Only the invitee answers, and only once.
    expect(await b1.request({ type: 'call_answer', call_id: callId, party_id: 'bob-phone', answer: ANSWER })).toMatchObject({ type: 'error', code: 'conflict' });
    expect(await a2.request({ type: 'call_answer', call_id: callId, party_id: 'alice-2', answer: ANSWER })).toMatchObject({ type: 'error', code: 'forbidden' });

    const candidates = [{ candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 }];
    a1.sendRaw(JSON.stringify({ type: 'call_candidates', call_id: callId, party_id: 'alice-phone', candidates }));
    expect(await b2.next((f) => f.type === 'call_candidates' && f.call_id === callId)).toMatchObject({ candidates, sender_id: alice.id });
    b2.sendRaw(JSON.stringify({ type: 'call_candidates', call_id: callId, party_id: 'bob-laptop', candidates: [{ candidate: '' }] }));
    await a1.next((f) => f.type === 'call_candidates' && f.call_id === callId && f.sender_id === bob.id);

    a1.sendRaw(JSON.stringify({ type: 'call_hangup', call_id: callId, party_id: 'alice-phone', reason: 'user_hangup' }));
    expect(await b2.next((f) => f.type === 'call_hangup' && f.call_id === callId && f.reason === 'user_hangup')).toMatchObject({ sender_id: alice.id });

    const history = await eventually(async () => {
      const h = await api(a.url, 'GET', `/api/v1/conversations/${conv}/messages`, { token: bob.token });
      const events = h.body.messages.map((m: { message: { event: string } }) => m.message.event);
      expect(events).toEqual(['call_started', 'call_answered', 'call_ended']);
      return h.body.messages;
    });
    expect(history[0].message).toMatchObject({ call_id: callId, video: true, actor_id: alice.id });
    expect(history[2].message).toMatchObject({ reason: 'user_hangup', duration_ms: expect.any(Number) });
    // The ended call's event went into the outbox with its log entry; the start and answer have none.
    const events = await cluster.database.db.query<{ type: string; topic: string; payload: Record<string, unknown> }>(
      `SELECT type, topic, payload FROM outbox WHERE key = $1 AND topic = 'calls'`,
      [conv],
    );
    expect(events).toEqual([
      {
        type: 'call.ended',
        topic: 'calls',
        payload: {
          conversation_id: conv,
          seq: history[2].seq,
          call_id: callId,
          caller_id: alice.id,
          invitee_id: bob.id,
          actor_id: alice.id,
          reason: 'user_hangup',
          duration_ms: history[2].message.duration_ms,
        },
      },
    ]);
    [a1, a2, b1, b2].forEach((s) => s.close());
  });

  it('ends an unanswered invite with invite_timeout, and does not ring a device that connects after', async () => {
    const [alice, bob, conv] = await pair();
    const [a1, b1] = [await connect(a, alice), await connect(b, bob)];
    const callId = `t${Date.now()}`;
    a1.sendRaw(JSON.stringify(invite(conv, callId, { lifetime: 1_500 })));
    await b1.next((f) => f.type === 'call_invite' && f.call_id === callId);
    // A device connecting while it rings, rings.
    const late = await connect(a, bob);
    await late.next((f) => f.type === 'call_invite' && f.call_id === callId);
    for (const s of [a1, b1, late]) {
      expect(await s.next((f) => f.type === 'call_hangup' && f.call_id === callId, 10_000)).toMatchObject({ reason: 'invite_timeout' });
    }
    const after = await connect(b, bob);
    expect(await after.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(callFrames(after, callId)).toEqual([]);
    expect(await b1.request({ type: 'call_answer', call_id: callId, party_id: 'bob', answer: ANSWER })).toMatchObject({ type: 'error' });
    // The missed call is unread for Bob (whom it rang), not for Alice; reading it clears it.
    const view = (u: TestUser) => api(a.url, 'GET', `/api/v1/conversations/${conv}`, { token: u.token }).then((r) => r.body);
    const bobs = await view(bob);
    expect(bobs.last_message.message).toMatchObject({ event: 'call_ended', reason: 'invite_timeout', user_ids: [bob.id], group_call_id: callId });
    expect([bobs.unread_count, (await view(alice)).unread_count]).toEqual([1, 0]);
    await b1.request({ type: 'read', conversation_id: conv, seq: bobs.last_seq });
    expect((await view(bob)).unread_count).toBe(0);
    [a1, b1, late, after].forEach((s) => s.close());
  });

  it('answers user_busy when the callee is in a call, and lets the callee reject', async () => {
    const [alice, bob, conv] = await pair();
    const carol = await register(a.url);
    const bobCarol = await createConversation(a.url, carol, [bob]);
    const [a1, b1, c1] = [await connect(a, alice), await connect(b, bob), await connect(a, carol)];

    c1.sendRaw(JSON.stringify({ ...invite(bobCarol.id, 'busy-1'), party_id: 'carol' }));
    await b1.next((f) => f.call_id === 'busy-1' && f.type === 'call_invite');
    b1.sendRaw(JSON.stringify({ type: 'call_answer', call_id: 'busy-1', party_id: 'bob', answer: ANSWER }));
    await c1.next((f) => f.call_id === 'busy-1' && f.type === 'call_answer');

    a1.sendRaw(JSON.stringify(invite(conv, 'busy-2')));
    expect(await a1.next((f) => f.call_id === 'busy-2' && f.type === 'call_hangup')).toMatchObject({ reason: 'user_busy' });
    b1.sendRaw(JSON.stringify({ type: 'call_hangup', call_id: 'busy-1', party_id: 'bob' }));
    await c1.next((f) => f.call_id === 'busy-1' && f.type === 'call_hangup');

    a1.sendRaw(JSON.stringify(invite(conv, 'reject-1')));
    await b1.next((f) => f.call_id === 'reject-1' && f.type === 'call_invite');
    b1.sendRaw(JSON.stringify({ type: 'call_reject', call_id: 'reject-1', party_id: 'bob' }));
    await a1.next((f) => f.call_id === 'reject-1' && f.type === 'call_reject');
    expect(callFrames(b1, 'busy-2')).toEqual([]);
    [a1, b1, c1].forEach((s) => s.close());
  });

  it('refuses invites from non-members and relays them to nobody; needs an invitee in groups', async () => {
    const [alice, bob, conv] = await pair();
    const mallory = await register(a.url);
    const [m, b1] = [await connect(a, mallory), await connect(b, bob)];
    expect(await m.request(invite(conv, 'evil-1'))).toMatchObject({ type: 'error', code: 'conversation_not_found' });
    expect(await m.request({ type: 'call_hangup', call_id: 'evil-1', party_id: 'm' })).toMatchObject({ type: 'error' });
    const group = await createConversation(a.url, alice, [bob, mallory], 'group');
    const a1 = await connect(a, alice);
    expect(await a1.request(invite(group.id, 'mesh-0'))).toMatchObject({ type: 'error', code: 'validation_failed' });
    a1.sendRaw(JSON.stringify(invite(group.id, 'mesh-1', { invitee: bob.id })));
    await b1.next((f) => f.call_id === 'mesh-1' && f.type === 'call_invite');
    expect(await b1.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(callFrames(b1, 'evil-1')).toEqual([]);
    expect(m.frames.filter((f) => f.call_id === 'mesh-1')).toEqual([]);
    [m, b1, a1].forEach((s) => s.close());
  });

  it('stays busy while any leg of a mesh is answered, and not after the last one ends', async () => {
    const [alice, bob, carol, dave] = await Promise.all([register(a.url), register(a.url), register(a.url), register(a.url)]);
    const group = await createConversation(a.url, alice, [bob, carol], 'group');
    const daveBob = await createConversation(a.url, dave, [bob]);
    const [a1, b1, c1, d1] = [await connect(a, alice), await connect(b, bob), await connect(a, carol), await connect(b, dave)];
    const id = (name: string) => `${name}-${Date.now().toString(36)}`;
    const answered = async (caller: TestSocket, party: string, callId: string) => {
      caller.sendRaw(JSON.stringify({ ...invite(group.id, callId, { invitee: bob.id }), party_id: party }));
      await b1.next((f) => f.call_id === callId && f.type === 'call_invite');
      b1.sendRaw(JSON.stringify({ type: 'call_answer', call_id: callId, party_id: 'bob', answer: ANSWER }));
      await caller.next((f) => f.call_id === callId && f.type === 'call_answer');
    };
    /** Dave calls Bob in their direct chat: true when Bob is busy, false when it rings (and Dave hangs up). */
    const busy = async (): Promise<boolean> => {
      const callId = id('dave');
      d1.sendRaw(JSON.stringify({ ...invite(daveBob.id, callId), party_id: 'dave' }));
      const first = await Promise.race([
        d1.next((f) => f.call_id === callId && f.type === 'call_hangup'),
        b1.next((f) => f.call_id === callId && f.type === 'call_invite'),
      ]);
      if (first.type === 'call_hangup') return first.reason === 'user_busy';
      d1.sendRaw(JSON.stringify({ type: 'call_hangup', call_id: callId, party_id: 'dave' }));
      await b1.next((f) => f.call_id === callId && f.type === 'call_hangup');
      return false;
    };

    // Bob is on two legs of one mesh: Alice's, answered first, then Carol's.
    const [legAlice, legCarol] = [id('mesh-a'), id('mesh-c')];
    await answered(a1, 'alice', legAlice);
    await answered(c1, 'carol', legCarol);
    expect(await busy()).toBe(true);

    // Alice's leg ends; Bob still talks with Carol, so he is still busy for Dave.
    a1.sendRaw(JSON.stringify({ type: 'call_hangup', call_id: legAlice, party_id: 'alice' }));
    await b1.next((f) => f.call_id === legAlice && f.type === 'call_hangup');
    expect(await busy()).toBe(true);
    // A new leg within the mesh is never busy.
    const again = id('mesh-a2');
    a1.sendRaw(JSON.stringify({ ...invite(group.id, again, { invitee: bob.id }), party_id: 'alice' }));
    await b1.next((f) => f.call_id === again && f.type === 'call_invite');
    a1.sendRaw(JSON.stringify({ type: 'call_hangup', call_id: again, party_id: 'alice' }));
    await b1.next((f) => f.call_id === again && f.type === 'call_hangup');

    // The last leg ends: Dave's call rings.
    c1.sendRaw(JSON.stringify({ type: 'call_hangup', call_id: legCarol, party_id: 'carol' }));
    await b1.next((f) => f.call_id === legCarol && f.type === 'call_hangup');
    expect(await busy()).toBe(false);
    [a1, b1, c1, d1].forEach((s) => s.close());
  });

  it('logs a group call’s end once, when its last leg ends, counting from its first answer', async () => {
    const [alice, bob, carol] = await Promise.all([register(a.url), register(a.url), register(a.url)]);
    const group = await createConversation(a.url, alice, [bob, carol], 'group');
    const sockets = { alice: await connect(a, alice), bob: await connect(b, bob), carol: await connect(a, carol) };
    const id = (name: string) => `${name}-${Date.now().toString(36)}`;
    const leg = async (from: keyof typeof sockets, to: keyof typeof sockets, callId: string) => {
      const invitee = { alice, bob, carol }[to];
      sockets[from].sendRaw(JSON.stringify({ ...invite(group.id, callId, { invitee: invitee.id }), party_id: from }));
      await sockets[to].next((f) => f.call_id === callId && f.type === 'call_invite');
      sockets[to].sendRaw(JSON.stringify({ type: 'call_answer', call_id: callId, party_id: to, answer: ANSWER }));
      await sockets[from].next((f) => f.call_id === callId && f.type === 'call_answer');
    };
    const hangup = async (who: keyof typeof sockets, other: keyof typeof sockets, callId: string) => {
      sockets[who].sendRaw(JSON.stringify({ type: 'call_hangup', call_id: callId, party_id: who }));
      await sockets[other].next((f) => f.call_id === callId && f.type === 'call_hangup');
    };
    const ends = async () => {
      const h = await api(a.url, 'GET', `/api/v1/conversations/${group.id}/messages`, { token: alice.token });
      return h.body.messages.filter((m: { message: { event?: string } }) => m.message.event === 'call_ended').map((m: { message: unknown }) => m.message);
    };

    // A full mesh of three: Alice called Bob and Carol, and Bob's and Carol's devices joined up.
    const [ab, ac, bc] = [id('ab'), id('ac'), id('bc')];
    await leg('alice', 'bob', ab);
    const firstAnswered = Date.now();
    await leg('alice', 'carol', ac);
    await leg('bob', 'carol', bc);
    // Carol leaves; so does a leg that was still ringing. Alice and Bob talk on: the call has not ended.
    const ringing = id('ring');
    sockets.alice.sendRaw(JSON.stringify({ ...invite(group.id, ringing, { invitee: carol.id }), party_id: 'alice' }));
    await sockets.carol.next((f) => f.call_id === ringing && f.type === 'call_invite');
    await hangup('alice', 'carol', ringing);
    await hangup('carol', 'alice', ac);
    await hangup('carol', 'bob', bc);
    expect(await ends()).toEqual([]);

    // The last leg ends: one end, as long as the call (not that leg) lasted.
    const lastHangup = Date.now();
    await hangup('alice', 'bob', ab);
    const logged = await eventually(async () => {
      const list = await ends();
      expect(list).toHaveLength(1);
      return list;
    });
    expect(logged[0]).toMatchObject({ call_id: ab, reason: 'user_hangup' });
    expect(logged[0].duration_ms).toBeGreaterThanOrEqual(lastHangup - firstAnswered);
    Object.values(sockets).forEach((s) => s.close());
  });

  describe(`ringing calls per invitee, in the ${onRedis ? 'Redis' : 'memory'} call store`, () => {
    let store: CallStore;
    beforeAll(() => {
      store = redisStore ?? new MemoryCallStore();
    });
    const ringing = (caller: string, invitee: string, ringMs = 60_000): CallState => {
      const now = Date.now();
      const id = `r-${crypto.randomUUID()}`;
      return {
        id, conversation_id: crypto.randomUUID(), caller_id: caller, caller_party: 'p', invitee_id: invitee, state: 'ringing',
        callee_party: null, created_at: now, answered_at: null, ring_until: now + ringMs,
        invite: { type: 'call_invite', call_id: id, party_id: 'p', conversation_id: crypto.randomUUID(), lifetime: ringMs, offer: { type: 'offer', sdp: 'v=0' } },
      };
    };

    it('caps ringing calls per caller and per invitee, also when created at once', async () => {
      const invitee = crypto.randomUUID();
      const callers = Array.from({ length: 6 }, () => crypto.randomUUID());
      // Three at once from each of six callers: two ring per caller, eight in all.
      const outcomes = await Promise.all(callers.flatMap((c) => [0, 1, 2].map(() => store.create(ringing(c, invitee), 60_000, RING_CAPS))));
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(RING_CAPS.perInvitee);
      expect(outcomes.every((o) => o === 'created' || o === 'caller_cap' || o === 'invitee_cap')).toBe(true);
      const rung = await store.ringing(invitee);
      expect(rung).toHaveLength(RING_CAPS.perInvitee);
      for (const c of callers) expect(rung.filter((call) => call.caller_id === c).length).toBeLessThanOrEqual(RING_CAPS.perCaller);
      // A refused call leaves nothing behind: its id is free.
      const refused = ringing(callers[0]!, invitee);
      expect(await store.create(refused, 60_000, RING_CAPS)).not.toBe('created');
      expect(await store.get(refused.id)).toBeNull();

      // A call that stops ringing frees its place; another invitee was never affected.
      const ended = rung[0]!;
      await store.transition(ended.id, (call) => ({ ...call, state: 'ended' }), 60_000);
      expect(await store.create(ringing(ended.caller_id, invitee), 60_000, RING_CAPS)).toBe('created');
      expect(await store.create(ringing(callers[0]!, crypto.randomUUID()), 60_000, RING_CAPS)).toBe('created');
    });

    it('refuses a second call from one caller beyond its cap, and frees the place when the first stops ringing on its own', async () => {
      const [caller, invitee] = [crypto.randomUUID(), crypto.randomUUID()];
      expect(await store.create(ringing(caller, invitee, 500), 60_000, RING_CAPS)).toBe('created');
      expect(await store.create(ringing(caller, invitee, 500), 60_000, RING_CAPS)).toBe('created');
      const third = ringing(caller, invitee);
      expect(await store.create(third, 60_000, RING_CAPS)).toBe('caller_cap');
      expect(await store.create(third, 60_000, RING_CAPS)).toBe('caller_cap');
      await eventually(async () => expect(await store.create(ringing(caller, invitee), 60_000, RING_CAPS)).toBe('created'), { timeoutMs: 5_000, intervalMs: 100 });
      expect(await store.ringing(invitee)).toHaveLength(1);
    });
  });

  describe(`answered calls per user, in the ${onRedis ? 'Redis' : 'memory'} call store`, () => {
    let store: CallStore;
    beforeAll(() => {
      store = redisStore ?? new MemoryCallStore();
    });
    const user = () => `u-${crypto.randomUUID()}`;

    it('keeps each answered call until that call leaves, for each user on it', async () => {
      const [u1, u2, u3] = [user(), user(), user()];
      await store.addActiveCall([u1, u2], 'leg-1', 60_000);
      await store.addActiveCall([u2, u3], 'leg-2', 60_000);
      expect((await store.activeCallsOf(u2)).sort()).toEqual(['leg-1', 'leg-2']);
      await store.removeActiveCall([u1, u2], 'leg-1');
      expect(await store.activeCallsOf(u1)).toEqual([]);
      expect(await store.activeCallsOf(u2)).toEqual(['leg-2']);
      expect(await store.activeCallsOf(u3)).toEqual(['leg-2']);
      await store.removeActiveCall([u2, u3], 'leg-2');
      expect(await store.activeCallsOf(u2)).toEqual([]);
    });

    it('expires each answered call on its own', async () => {
      const u = user();
      await store.addActiveCall([u], 'long', 60_000);
      await store.addActiveCall([u], 'short', 1_000);
      expect((await store.activeCallsOf(u)).sort()).toEqual(['long', 'short']);
      await eventually(async () => expect(await store.activeCallsOf(u)).toEqual(['long']), { timeoutMs: 5_000, intervalMs: 50 });
    });
  });
}
