import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase, type TestDatabase } from './support/databases.ts';
import { api, register, startServer, type TestServer } from './support/harness.ts';
import { eventually } from './support/eventually.ts';

/**
 * Regression tests for the security review in issue #12 (findings 2, 3, 4, 5
 * and 10): session revocation of access tokens, the client address behind
 * proxies, unauthenticated-socket slots, the password-change guess limit and
 * the private metrics listener.
 */
let database: TestDatabase;
const servers: TestServer[] = [];
beforeAll(async () => {
  database = await pgliteDatabase();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await database?.drop();
});
async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startServer(database.db, { env });
  servers.push(s);
  return s;
}

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
