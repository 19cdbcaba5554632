import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../src/bus/memory-bus.ts';
import { api, connect, register, type TestServer, type TestUser } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import { handshake } from './support/handshake.ts';
import { instancesOnPostgresAndRedis, POSTGRES_REDIS_MISSING, serversOnOneDatabase } from './support/shared-database.ts';

/**
 * Regression tests for the security review in issue #12 (findings 2, 3, 4, 5
 * and 10): session revocation of access tokens, the client address behind
 * proxies, unauthenticated-socket slots, the password-change guess limit and
 * the private metrics listener.
 */
const { server, database } = serversOnOneDatabase();

/** Sends raw bytes to the server and resolves with everything it answers before closing. */
function rawRequest(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname, () => socket.write(request));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** A credential-less socket: resolves once upgraded (it would authenticate with an `auth` frame). */
function openWithoutCredentials(wsUrl: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, ['parley.v1'], { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

async function unauthenticatedSockets(s: TestServer): Promise<number> {
  const metric = s.parley.metrics.registry.getSingleMetric('parley_ws_unauthenticated_sockets');
  if (!metric) throw new Error('parley_ws_unauthenticated_sockets is not registered');
  return (await metric.get()).values[0]?.value ?? NaN;
}

describe('unauthenticated-socket slots (finding 4)', () => {
  it('releases the slot of every malformed upgrade: a flood leaves the count at zero and a credential-less socket still opens', async () => {
    const s = await server({ MAX_UNAUTHENTICATED_PER_IP: '4' });
    const malformed = [
      // No Sec-WebSocket-Key.
      'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n',
      // A key that is not 16 bytes of base64.
      'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n',
      // No version.
      'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ];
    for (let i = 0; i < 30; i++) {
      const answer = await rawRequest(s.url, malformed[i % malformed.length]!);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    }
    await eventually(async () => expect(await unauthenticatedSockets(s)).toBe(0));
    const ws = await openWithoutCredentials(s.wsUrl);
    await eventually(async () => expect(await unauthenticatedSockets(s)).toBe(1));
    ws.close();
    await eventually(async () => expect(await unauthenticatedSockets(s)).toBe(0));
  });
});

describe('password change guesses (finding 5)', () => {
  const PASSWORD = 'correct horse battery';
  const change = (s: TestServer, token: string, current: string) =>
    api(s.url, 'POST', '/api/v1/auth/password', { token, body: { current_password: current, new_password: 'a brand new secret' } });

  it('refuses even the right current password with rate_limited after the login_account burst of wrong ones', async () => {
    const s = await server({ RATE_LIMIT_LOGIN_ACCOUNT: '0.01:3' });
    const user = await register(s.url);
    const wrong = [];
    for (let i = 0; i < 3; i++) wrong.push((await change(s, user.token, `guess ${i}`)).status);
    expect(wrong).toEqual([401, 401, 401]);
    const right = await change(s, user.token, PASSWORD);
    expect(right).toMatchObject({ status: 429, body: { error: { code: 'rate_limited', retry_after: expect.any(Number) } } });
  });

  it('counts failed logins and failed password changes against the same account budget', async () => {
    const s = await server({ RATE_LIMIT_LOGIN_ACCOUNT: '0.01:3' });
    const user = await register(s.url);
    const login = (password: string) => api(s.url, 'POST', '/api/v1/auth/login', { body: { username: user.username, password } });
    expect((await login('guess 1')).status).toBe(401);
    expect((await login('guess 2')).status).toBe(401);
    expect((await change(s, user.token, 'guess 3')).status).toBe(401);
    expect((await login(PASSWORD)).body.error?.code).toBe('rate_limited');
    expect((await change(s, user.token, PASSWORD)).body.error?.code).toBe('rate_limited');
  });
});

const PASSWORD = 'correct horse battery';

/** A second login of the user: its own session, access token and refresh token. */
async function login(s: TestServer, user: TestUser): Promise<TestUser> {
  const res = await api(s.url, 'POST', '/api/v1/auth/login', { body: { username: user.username, password: PASSWORD } });
  expect(res.status).toBe(200);
  return { ...user, token: res.body.access_token, refreshToken: res.body.refresh_token };
}

async function wsTicket(s: TestServer, token: string): Promise<{ status: number; ticket?: string }> {
  const res = await api(s.url, 'POST', '/api/v1/auth/ws-ticket', { token });
  return { status: res.status, ticket: res.body?.ticket };
}

/** The close code of a credential-less socket that authenticates with `token` in its first frame. */
async function authFrame(s: TestServer, token: string): Promise<number | 'ready'> {
  const ws = await openWithoutCredentials(s.wsUrl);
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'ready') {
        resolve('ready');
        ws.close();
      }
    });
    ws.once('close', (code) => resolve(code));
    ws.send(JSON.stringify({ type: 'auth', token }));
  });
}

/**
 * Every way an access token is checked, for one instance: REST, the
 * handshake (bearer subprotocol and Authorization header), the `auth` frame,
 * issuing a ws-ticket, and redeeming a ticket issued before the revocation.
 */
async function checks(s: TestServer, token: string, ticket: string) {
  return {
    rest: (await api(s.url, 'GET', '/api/v1/conversations', { token })).status,
    bearer: await handshake(s.wsUrl, { protocols: ['parley.v1', `bearer.${token}`] }),
    header: await handshake(s.wsUrl, { headers: { authorization: `Bearer ${token}` } }),
    authFrame: await authFrame(s, token),
    issueTicket: (await wsTicket(s, token)).status,
    redeemTicket: await handshake(`${s.wsUrl}?ticket=${encodeURIComponent(ticket)}`, { protocols: ['parley.v1'] }),
  };
}
/** Waits until REST on `s` refuses `token` (another instance learns of a revocation within a bus hop or a poll). */
async function untilRefused(s: TestServer, token: string): Promise<void> {
  await eventually(async () => expect((await api(s.url, 'GET', '/api/v1/conversations', { token })).status).toBe(401));
}
const REFUSED = { rest: 401, bearer: 401, header: 401, authFrame: 4401, issueTicket: 401, redeemTicket: 401 };

/** Two unused tickets of `token`: one to show it works before the revocation, one to try after. */
async function twoTickets(s: TestServer, token: string): Promise<[string, string]> {
  const [one, two] = [await wsTicket(s, token), await wsTicket(s, token)];
  return [one.ticket!, two.ticket!];
}

describe('revoked sessions refuse their access tokens (finding 2)', () => {
  it('after logout: REST, handshake, auth frame, ws-ticket issue and redeem all refuse the session', async () => {
    const s = await server();
    const user = await register(s.url);
    const other = await login(s, user);
    const [before, after] = await twoTickets(s, user.token);
    expect(await checks(s, user.token, before)).toEqual({ rest: 200, bearer: 101, header: 101, authFrame: 'ready', issueTicket: 200, redeemTicket: 101 });

    expect((await api(s.url, 'POST', '/api/v1/auth/logout', { body: { refresh_token: user.refreshToken } })).status).toBe(204);
    expect(await checks(s, user.token, after)).toEqual(REFUSED);
    // The user's other session is untouched.
    const [, otherTicket] = await twoTickets(s, other.token);
    expect(await checks(s, other.token, otherTicket)).toMatchObject({ rest: 200, bearer: 101, authFrame: 'ready', redeemTicket: 101 });
  });

  it('after a password change: every session of the user, the caller\'s included, is refused; the new one works', async () => {
    const s = await server();
    const user = await register(s.url);
    const other = await login(s, user);
    const [, mine] = await twoTickets(s, user.token);
    const [, theirs] = await twoTickets(s, other.token);
    const changed = await api(s.url, 'POST', '/api/v1/auth/password', {
      token: user.token,
      body: { current_password: PASSWORD, new_password: 'a brand new secret' },
    });
    expect(changed.status).toBe(200);
    expect(await checks(s, user.token, mine)).toEqual(REFUSED);
    expect(await checks(s, other.token, theirs)).toEqual(REFUSED);
    const [, fresh] = await twoTickets(s, changed.body.access_token);
    expect(await checks(s, changed.body.access_token, fresh)).toMatchObject({ rest: 200, bearer: 101, authFrame: 'ready', redeemTicket: 101 });
  });

  it('after refresh-token reuse revokes the session: the access tokens issued before and after the rotation are refused', async () => {
    const s = await server({ JWT_REFRESH_REUSE_GRACE: '0' });
    const user = await register(s.url);
    const rotated = await api(s.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refreshToken } });
    expect(rotated.status).toBe(200);
    const [, first] = await twoTickets(s, user.token);
    const [, second] = await twoTickets(s, rotated.body.access_token);
    const reused = await api(s.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refreshToken } });
    expect(reused).toMatchObject({ status: 401, body: { error: { code: 'refresh_token_reused' } } });
    expect(await checks(s, user.token, first)).toEqual(REFUSED);
    expect(await checks(s, rotated.body.access_token, second)).toEqual(REFUSED);
  });

  it('is honoured by another instance that hears nothing on the bus (database poll), and by one that shares the bus', async () => {
    const shared = new MemoryBus();
    const [a, b, lonely] = [await server({}, shared), await server({}, shared), await server({}, new MemoryBus())];
    const user = await register(a.url);
    const [, onB] = await twoTickets(b, user.token);
    const [, onLonely] = await twoTickets(lonely, user.token);
    const liveOnLonely = await connect(lonely, user);
    expect((await api(b.url, 'GET', '/api/v1/conversations', { token: user.token })).status).toBe(200);
    expect((await api(lonely.url, 'GET', '/api/v1/conversations', { token: user.token })).status).toBe(200);
    expect((await api(a.url, 'POST', '/api/v1/auth/logout', { body: { refresh_token: user.refreshToken } })).status).toBe(204);
    await untilRefused(b, user.token);
    expect(await checks(b, user.token, onB)).toEqual(REFUSED);
    await untilRefused(lonely, user.token);
    expect(await checks(lonely, user.token, onLonely)).toEqual(REFUSED);
    // The instance that missed the bus's `_revoke` closes the session's live sockets when its poll finds the revocation.
    expect(await liveOnLonely.closed()).toBe(4401);
  });
});

(POSTGRES_REDIS_MISSING.length === 0 ? describe : describe.skip)(
  `revoked sessions across two instances on PostgreSQL and Redis (finding 2)${POSTGRES_REDIS_MISSING.length ? ` (skipped: needs ${POSTGRES_REDIS_MISSING.join(', ')})` : ''}`,
  () => {
    const instances = instancesOnPostgresAndRedis(2);

    it('a logout on one instance and a password change on the other are honoured by both', async () => {
      const [a, b] = instances() as [TestServer, TestServer];
      const user = await register(a.url);
      const other = await login(b, user);
      const live = await connect(b, user);
      const [, ticketOnB] = await twoTickets(b, user.token);
      expect((await api(a.url, 'POST', '/api/v1/auth/logout', { body: { refresh_token: user.refreshToken } })).status).toBe(204);
      expect(await live.closed()).toBe(4401);
      await untilRefused(b, user.token);
      expect(await checks(b, user.token, ticketOnB)).toEqual(REFUSED);

      const [, ticketOnA] = await twoTickets(a, other.token);
      const changed = await api(b.url, 'POST', '/api/v1/auth/password', {
        token: other.token,
        body: { current_password: PASSWORD, new_password: 'a brand new secret' },
      });
      expect(changed.status).toBe(200);
      await untilRefused(a, other.token);
      expect(await checks(a, other.token, ticketOnA)).toEqual(REFUSED);
    });
  },
);

/** The audit lines of one event the server logged, parsed. */
function audits(s: TestServer, event: string): Array<Record<string, unknown>> {
  return s.logs
    .filter((l) => l.includes('"audit":true'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.event === event);
}

describe('client address behind proxies (finding 3)', () => {
  it('with TRUST_PROXY_HOPS=1 takes the last X-Forwarded-For address: forged leftmost ones share one login bucket', async () => {
    const s = await server({ TRUST_PROXY_HOPS: '1', RATE_LIMIT_LOGIN_IP: '0.01:3' });
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${s.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}, 10.9.8.7` },
        body: JSON.stringify({ username: `nobody${i}`, password: 'guess guess' }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect(audits(s, 'login_failed').map((e) => e.ip)).toEqual(['10.9.8.7', '10.9.8.7', '10.9.8.7']);
    // Another address the proxy vouches for has its own bucket.
    const other = await fetch(`${s.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.9.8.8' },
      body: JSON.stringify({ username: 'nobody', password: 'guess guess' }),
    });
    expect(other.status).toBe(401);
  });

  it('uses the same address for the WebSocket upgrade: forged leftmost addresses share the unauthenticated cap', async () => {
    const s = await server({ TRUST_PROXY_HOPS: '1', MAX_UNAUTHENTICATED_PER_IP: '2' });
    const open = (forged: string, real = '10.9.8.6') => openWithoutCredentials(s.wsUrl, { 'x-forwarded-for': `${forged}, ${real}` });
    const sockets = [await open('198.51.100.1'), await open('198.51.100.2')];
    await expect(open('198.51.100.3')).rejects.toThrow('HTTP 429');
    expect(audits(s, 'rate_limited').map((e) => [e.scope, e.ip])).toEqual([['unauthenticated', '10.9.8.6']]);
    sockets.push(await open('198.51.100.4', '10.9.8.5'));
    sockets.forEach((ws) => ws.close());
  });

  it('ignores X-Forwarded-For entirely with the default TRUST_PROXY_HOPS=0', async () => {
    const s = await server({ RATE_LIMIT_LOGIN_IP: '0.01:2' });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${s.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}` },
        body: JSON.stringify({ username: `nobody${i}`, password: 'guess guess' }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
    expect(audits(s, 'login_failed').map((e) => e.ip)).toEqual(['127.0.0.1', '127.0.0.1']);
  });
});

describe('metrics on a private listener (finding 10)', () => {
  it('the main port answers 404 on /metrics, with or without METRICS_PORT', async () => {
    for (const env of [{}, { METRICS_PORT: '0' }] as Array<Record<string, string>>) {
      const s = await server(env);
      for (const path of ['/metrics', '/metrics?x=1', '//metrics']) {
        const res = await fetch(`${s.url}${path}`);
        expect([path, res.status]).toEqual([path, 404]);
        expect(await res.text()).not.toContain('parley_ws_connections');
      }
    }
  });

  it('serves Prometheus metrics on METRICS_PORT, bound to 127.0.0.1 by default, and nothing else there', async () => {
    const s = await server({ METRICS_PORT: '0' });
    const metricsUrl = s.parley.metricsUrl;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(metricsUrl!).port).not.toBe(new URL(s.url).port);
    const res = await fetch(`${metricsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('parley_ws_connections');
    for (const path of ['/', '/healthz', '/api/v1/conversations']) expect((await fetch(`${metricsUrl}${path}`)).status).toBe(404);
    // Unset: no metrics listener at all.
    const none = await server();
    expect(none.parley.metricsUrl).toBeNull();
  });
});
