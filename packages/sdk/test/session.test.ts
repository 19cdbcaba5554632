import { describe, expect, it, vi } from 'vitest';
import { eventually } from './support/eventually.ts';
import { record, useFakeServer, useSdkFakeTimers } from './support/clients.ts';

/** Login, transparent token renewal (ahead of expiry and on 401), refresh failures, logout. */
describe('session', () => {
  const fake = useFakeServer();
  const refreshes = () => fake.server.requests.filter((r) => r === 'POST /api/v1/auth/refresh').length;

  it('logs in, hands the session to the app, and logs out', async () => {
    fake.server.addUser('alice');
    const { client } = fake.open(null);
    const sessions = record(client, 'session');
    const loggedOut = record(client, 'logged_out');
    expect(client.user).toBeNull();
    const user = await client.login({ username: 'alice', password: 'irrelevant here' });
    expect(user.username).toBe('alice');
    expect(sessions).toEqual([expect.objectContaining({ user, access_token: expect.any(String), expires_at: expect.any(Number) })]);
    client.connect();
    await client.connected();
    await client.logout();
    expect(client.state).toBe('disconnected');
    expect(sessions.at(-1)).toBeNull();
    expect(loggedOut).toEqual([{ reason: 'logout' }]);
    expect(fake.server.requests).toContain('POST /api/v1/auth/logout');
  });

  it('refuses to connect without a session, and says so', async () => {
    const { client, opened } = fake.open(null);
    const errors = record(client, 'error');
    client.connect();
    await expect(client.connected()).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(errors.map((e) => e.code)).toEqual(['unauthenticated']);
    expect(client.state).toBe('disconnected');
    expect(opened).toEqual([]);
  });

  it('renews the access token shortly before it expires', async () => {
    fake.server.accessTtlSeconds = 100;
    useSdkFakeTimers();
    const alice = fake.server.addUser('alice');
    const { client } = fake.open(alice);
    const sessions = record(client, 'session');
    // A fifth of a 100 s life, at most a minute: renewed at 80 s.
    await vi.advanceTimersByTimeAsync(79_000);
    expect(refreshes()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await eventually(() => expect(sessions).toHaveLength(1));
    expect(sessions[0]!.access_token).not.toBe(alice.session.access_token);
    expect(sessions[0]!.refresh_token).not.toBe(alice.session.refresh_token);
    expect(refreshes()).toBe(1);
  });

  it('hands the renewed token to the live socket, and tolerates a server that does not know the auth frame', async () => {
    fake.server.accessTtlSeconds = 100;
    useSdkFakeTimers();
    const alice = fake.server.addUser('alice');
    const { client } = fake.open(alice);
    const errors = record(client, 'error');
    const states = record(client, 'state');
    client.connect();
    await eventually(() => expect(client.state).toBe('connected'));
    await vi.advanceTimersByTimeAsync(80_000);
    await eventually(() => expect(fake.server.frames('auth')).toHaveLength(1));
    const renewed = client.sessionData!.access_token;
    expect(fake.server.frames('auth')[0]).toMatchObject({ token: renewed });
    await eventually(() => expect(fake.server.socketTokens(alice.id)).toEqual([renewed]));

    fake.server.socketAuth = 'unsupported';
    await vi.advanceTimersByTimeAsync(80_000);
    await eventually(() => expect(fake.server.frames('auth')).toHaveLength(2));
    // A send after it on the same socket: once it is acked, the answer to `auth` has been handled.
    const conv = fake.server.addConversation([alice.id, fake.server.addUser('bob').id]);
    client.send(conv.id, 'after auth');
    await eventually(() => expect(client.pending()).toEqual([]));
    expect(fake.server.socketTokens(alice.id)).toEqual([renewed]);
    expect(errors).toEqual([]);
    expect(states).toEqual(['connecting', 'connected']);
  });

  it('renews once on a 401 token_expired and replays the request; concurrent requests share the renewal', async () => {
    const alice = fake.server.addUser('alice');
    fake.server.addConversation([alice.id, fake.server.addUser('bob').id]);
    const { client } = fake.open(alice);
    fake.server.expire(alice.session.access_token);
    const [list, me] = await Promise.all([client.refreshConversations(), client.api.me()]);
    expect(list).toHaveLength(1);
    expect(me.id).toBe(alice.id);
    expect(refreshes()).toBe(1);
    expect(client.sessionData?.access_token).not.toBe(alice.session.access_token);
  });

  it('emits logged_out when the refresh token is refused, and the request fails', async () => {
    const alice = fake.server.addUser('alice');
    const { client } = fake.open(alice);
    const loggedOut = record(client, 'logged_out');
    const sessions = record(client, 'session');
    fake.server.expire(alice.session.access_token);
    fake.server.spendRefreshToken(alice.session.refresh_token);
    await expect(client.refreshConversations()).rejects.toMatchObject({ code: 'token_expired' });
    expect(loggedOut).toEqual([{ reason: 'refresh_token_reused' }]);
    expect(sessions).toEqual([null]);
    expect(client.user).toBeNull();
  });

  it('keeps the session through a refresh that fails for a transient reason, and renews on the next try', async () => {
    const alice = fake.server.addUser('alice');
    const { client } = fake.open(alice);
    const loggedOut = record(client, 'logged_out');
    const sessions = record(client, 'session');
    fake.server.expire(alice.session.access_token);
    fake.server.cutRefreshes = 1;
    await expect(client.api.me()).rejects.toMatchObject({ code: 'token_expired' });
    expect(loggedOut).toEqual([]);
    expect(client.user?.id).toBe(alice.id);
    expect(await client.api.me()).toMatchObject({ id: alice.id });
    expect(sessions).toHaveLength(1);
    expect(refreshes()).toBe(2);
  });
});
