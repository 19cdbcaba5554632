import { describe, expect, it, vi } from 'vitest';
import { CloseCodes, type ConversationId } from '@parley/protocol';
import { eventually } from './support/eventually.ts';
import { record, useFakeServer, useSdkFakeTimers } from './support/clients.ts';

/** The connection state machine against the fake server: handshake, close codes, backoff, storms. */
describe('reconnect', () => {
  const fake = useFakeServer();

  it('authenticates with the parley.v1 and bearer subprotocols and is connected once ready arrives', async () => {
    const alice = fake.server.addUser('alice');
    const { client, opened } = fake.open(alice);
    const states = record(client, 'state');
    client.connect();
    await client.connected();
    expect(opened).toEqual([['parley.v1', `bearer.${alice.session.access_token}`]]);
    expect(fake.server.handshakes).toEqual([alice.session.access_token]);
    expect(states).toEqual(['connecting', 'connected']);
  });

  it('reconnects promptly after 1012, within one jittered base delay, and resumes by cursor', async () => {
    const alice = fake.server.addUser('alice');
    const bob = fake.server.addUser('bob');
    const conv = fake.server.addConversation([alice.id, bob.id]);
    fake.server.append(conv.id, bob.id, 'one');
    useSdkFakeTimers();
    const { client, opened } = fake.open(alice, { random: () => 0.5, reconnect: { baseMs: 1000, capMs: 60_000 } });
    const scheduled = record(client, 'reconnect_scheduled');
    client.connect();
    await eventually(() => expect(client.conversation(conv.id)?.cursor).toBe(1));

    fake.server.closeAll(CloseCodes.serviceRestart);
    await eventually(() => expect(scheduled).toEqual([{ delayMs: 500, attempt: 0, code: 1012 }]));
    expect(client.state).toBe('connecting');
    fake.server.append(conv.id, bob.id, 'two while away', { push: false });
    await vi.advanceTimersByTimeAsync(499);
    expect(opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await eventually(() => expect(client.state).toBe('connected'));
    expect(opened).toHaveLength(2);
    await eventually(() => expect(client.messages(conv.id).map((m) => m.seq)).toEqual([2]));
    expect(fake.server.frames('sync').map((f) => f.cursors)).toContainEqual({ [conv.id]: 1 });
  });

  it('resumes from its cursors after 4000 (slow consumer) without losing or doubling a message', async () => {
    const alice = fake.server.addUser('alice');
    const bob = fake.server.addUser('bob');
    const conv = fake.server.addConversation([alice.id, bob.id]);
    const { client } = fake.open(alice);
    const seen = record(client, 'message');
    client.connect();
    await client.connected();
    await eventually(() => expect(client.conversation(conv.id)).toBeDefined());
    for (let n = 1; n <= 3; n++) fake.server.append(conv.id, bob.id, `m${n}`);
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(3));

    fake.server.closeAll(CloseCodes.slowConsumer);
    for (let n = 4; n <= 6; n++) fake.server.append(conv.id, bob.id, `m${n}`, { push: false });
    await eventually(() => expect(client.messages(conv.id)).toHaveLength(6));
    expect(fake.server.frames('sync').at(-1)?.cursors).toEqual({ [conv.id]: 3 });
    expect(seen.map((e) => e.entry.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('waits longer after 4429 (rate limited): at least the configured floor', async () => {
    const alice = fake.server.addUser('alice');
    useSdkFakeTimers();
    const { client, opened } = fake.open(alice, {
      random: () => 0.5,
      reconnect: { baseMs: 1000, capMs: 60_000, rateLimitedDelayMs: 10_000 },
    });
    const scheduled = record(client, 'reconnect_scheduled');
    client.connect();
    await eventually(() => expect(client.state).toBe('connected'));

    fake.server.closeAll(CloseCodes.rateLimited);
    await eventually(() => expect(scheduled).toEqual([{ delayMs: 10_500, attempt: 1, code: 4429 }]));
    await vi.advanceTimersByTimeAsync(10_499);
    expect(opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await eventually(() => expect(client.state).toBe('connected'));
  });

  it('does not retry after 4401 until the token is refreshed, then reconnects with the new token', async () => {
    const alice = fake.server.addUser('alice');
    useSdkFakeTimers();
    const { client, opened } = fake.open(alice);
    const sessions = record(client, 'session');
    client.connect();
    await eventually(() => expect(client.state).toBe('connected'));

    let release!: () => void;
    fake.server.refreshGate = new Promise<void>((resolve) => (release = resolve));
    fake.server.expire(alice.session.access_token);
    fake.server.closeAll(CloseCodes.unauthenticated);
    await eventually(() => expect(client.state).toBe('disconnected'));
    await vi.advanceTimersByTimeAsync(0);
    await eventually(() => expect(fake.server.requests).toContain('POST /api/v1/auth/refresh'));
    // However long the refresh takes, no socket is opened with the refused token.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(opened).toHaveLength(1);
    expect(client.state).toBe('disconnected');

    release();
    await eventually(() => expect(client.state).toBe('connected'));
    const fresh = client.sessionData!.access_token;
    expect(fresh).not.toBe(alice.session.access_token);
    expect(opened).toHaveLength(2);
    expect(fake.server.handshakes.at(-1)).toBe(fresh);
    expect(sessions.at(-1)?.access_token).toBe(fresh);
  });

  it('logs out after 4401 when the refresh token is refused, and stays disconnected', async () => {
    const alice = fake.server.addUser('alice');
    const { client, opened } = fake.open(alice);
    const loggedOut = record(client, 'logged_out');
    const sessions = record(client, 'session');
    client.connect();
    await client.connected();

    fake.server.spendRefreshToken(alice.session.refresh_token);
    fake.server.closeAll(CloseCodes.unauthenticated);
    await eventually(() => expect(loggedOut).toEqual([{ reason: 'refresh_token_reused' }]));
    expect(sessions.at(-1)).toBeNull();
    expect(client.state).toBe('disconnected');
    expect(opened).toHaveLength(1);
  });

  it('renews a token refused at the HTTP handshake (as browsers see it: no status) and reconnects', async () => {
    const alice = fake.server.addUser('alice');
    fake.server.handshakeAuth = 'http';
    fake.server.expire(alice.session.access_token);
    const { client } = fake.open(alice);
    client.connect();
    await client.connected();
    expect(fake.server.requests).toEqual(expect.arrayContaining(['GET /api/v1/users/me', 'POST /api/v1/auth/refresh']));
    expect(fake.server.handshakes).toEqual([client.sessionData!.access_token]);
  });

  it('can send the token as the first frame instead; a refused one closes with 4401 and is renewed', async () => {
    const alice = fake.server.addUser('alice');
    fake.server.expire(alice.session.access_token);
    const { client, opened } = fake.open(alice, { authMode: 'frame' });
    const closed = record(client, 'closed');
    client.connect();
    await client.connected();
    const fresh = client.sessionData!.access_token;
    expect(opened).toEqual([['parley.v1'], ['parley.v1']]);
    expect(closed).toEqual([expect.objectContaining({ code: 4401, opened: true, ready: false })]);
    expect(fake.server.frames('auth').map((f) => f.token)).toEqual([alice.session.access_token, fresh]);
    expect(fake.server.handshakes).toEqual([fresh]);
  });

  it('stops after 4403 and stays disconnected until connect() is called again', async () => {
    const alice = fake.server.addUser('alice');
    useSdkFakeTimers();
    const { client, opened } = fake.open(alice);
    const stopped = record(client, 'stopped');
    client.connect();
    await eventually(() => expect(client.state).toBe('connected'));

    fake.server.closeAll(CloseCodes.forbidden, 'banned');
    await eventually(() => expect(stopped).toEqual([{ code: 4403, reason: 'banned' }]));
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(client.state).toBe('disconnected');
    expect(opened).toHaveLength(1);

    client.connect();
    await eventually(() => expect(client.state).toBe('connected'));
    expect(opened).toHaveLength(2);
  });

  it('backs off with full jitter while connecting keeps failing, up to the cap, and resets once connected', async () => {
    const alice = fake.server.addUser('alice');
    useSdkFakeTimers();
    // random() just below 1 puts every delay at the top of its window: the window itself is visible.
    const { client } = fake.open(alice, { random: () => 0.999, reconnect: { baseMs: 100, capMs: 1600 } });
    const scheduled = record(client, 'reconnect_scheduled');
    client.connect();
    await eventually(() => expect(client.state).toBe('connected'));

    fake.server.refuseHandshakes = 503;
    fake.server.closeAll(1011);
    const windows = [100, 200, 400, 800, 1600, 1600, 1600];
    for (const [i, window] of windows.entries()) {
      await eventually(() => expect(scheduled).toHaveLength(i + 1));
      const { delayMs } = scheduled[i]!;
      expect(delayMs).toBeGreaterThanOrEqual(window * 0.99);
      expect(delayMs).toBeLessThan(window);
      if (i < windows.length - 1) await vi.advanceTimersByTimeAsync(delayMs);
    }
    // A 1012 before `ready` is a server in trouble, not a planned restart: no prompt retry for it.
    fake.server.refuseHandshakes = null;
    fake.server.closeOnConnect = CloseCodes.serviceRestart;
    await vi.advanceTimersByTimeAsync(scheduled.at(-1)!.delayMs);
    await eventually(() => expect(scheduled.at(-1)).toMatchObject({ code: 1012, attempt: windows.length + 1 }));
    expect(scheduled.at(-1)!.delayMs).toBeGreaterThanOrEqual(1584);

    fake.server.closeOnConnect = null;
    await vi.advanceTimersByTimeAsync(scheduled.at(-1)!.delayMs);
    await eventually(() => expect(client.state).toBe('connected'));

    fake.server.closeAll(1011);
    await eventually(() => expect(scheduled.at(-1)).toMatchObject({ attempt: 1, code: 1011 }));
    expect(scheduled.at(-1)!.delayMs).toBeLessThan(100);
  });

  it('spreads a reconnect storm of 20 clients over the jitter window, each ending with exactly one socket', async () => {
    const users = Array.from({ length: 20 }, (_, i) => fake.server.addUser(`u${i}`));
    const conv = fake.server.addConversation(users.map((u) => u.id), 'group');
    const clients = users.map((u) => fake.open(u, { reconnect: { baseMs: 300, capMs: 3000 } }).client);
    const delays: number[] = [];
    for (const c of clients) c.on('reconnect_scheduled', ({ delayMs }) => delays.push(delayMs));
    clients.forEach((c) => c.connect());
    await Promise.all(clients.map((c) => c.connected()));

    for (let round = 0; round < 3; round++) {
      fake.server.closeAll(CloseCodes.serviceRestart);
      await eventually(() => expect(delays).toHaveLength(20 * (round + 1)));
      await eventually(() => expect(clients.every((c) => c.state === 'connected')).toBe(true));
    }
    expect(delays.every((d) => d >= 0 && d < 300)).toBe(true);
    // Full jitter: the clients do not come back in lockstep.
    expect(new Set(delays).size).toBeGreaterThan(40);
    expect(fake.server.sockets()).toBe(20);
    for (const u of users) expect(fake.server.sockets(u.id)).toBe(1);

    // After the storm every client still sends exactly once.
    clients.forEach((c, i) => c.send(conv.id as ConversationId, `after storm ${i}`));
    await eventually(() => expect(conv.log).toHaveLength(20));
    await eventually(() => clients.forEach((c) => expect(c.messages(conv.id)).toHaveLength(20)));
  });
});
