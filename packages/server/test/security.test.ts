import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../src/bus/memory-bus.ts';
import { api, connect, createConversation, register, sendMessage } from './support/harness.ts';
import { TestSocket } from './support/test-socket.ts';
import { eventually } from './support/eventually.ts';
import { which } from './support/processes.ts';
import { TEST_REDIS_URL, testPrefix } from './support/redis.ts';
import { handshake } from './support/handshake.ts';
import { serversOnOneDatabase } from './support/shared-database.ts';

const { server, database } = serversOnOneDatabase();

describe('handshake', () => {
  it('refuses an upgrade from an origin not in PUBLIC_ORIGINS with 403 and no 101', async () => {
    const s = await server({ PUBLIC_ORIGINS: 'https://chat.example' });
    const user = await register(s.url);
    const auth = { authorization: `Bearer ${user.token}` };
    expect(await handshake(s.wsUrl, { headers: { ...auth, origin: 'https://evil.example' } })).toBe(403);
    expect(await handshake(s.wsUrl, { headers: { ...auth, origin: 'https://chat.example' } })).toBe(101);
    expect(await handshake(s.wsUrl, { headers: auth })).toBe(101); // non-browser clients send no Origin
  });

  it('caps the sockets of one user with 429', async () => {
    const s = await server({ MAX_CONNECTIONS_PER_USER: '2' });
    const user = await register(s.url);
    const [one, two] = [await connect(s, user), await connect(s, user)];
    expect(await handshake(s.wsUrl, { headers: { authorization: `Bearer ${user.token}` } })).toBe(429);
    one.close();
    await one.closed();
    await eventually(async () => expect(await handshake(s.wsUrl, { headers: { authorization: `Bearer ${user.token}` } })).toBe(101));
    two.close();
  });

  it('caps the unauthenticated sockets of one address, and closes them with 4408 when they do not authenticate in time', async () => {
    const s = await server({ MAX_UNAUTHENTICATED_PER_IP: '2', WS_AUTH_TIMEOUT: '1' });
    const open = () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(s.wsUrl, ['parley.v1']);
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
    const [first, second] = [await open(), await open()];
    await expect(open()).rejects.toThrow('HTTP 429');
    const closed = await Promise.all(
      [first, second].map((ws) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))),
    );
    expect(closed).toEqual([4408, 4408]);
    // The slots are free again.
    const third = await open();
    third.close();
  });

  it('authenticates a socket opened without credentials by its first frame', async () => {
    const s = await server();
    const user = await register(s.url);
    const ws = new WebSocket(s.wsUrl, ['parley.v1']);
    const frames: Array<{ type: string }> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'auth', token: user.token }));
    ws.send(JSON.stringify({ type: 'ping', id: 'right after' }));
    await eventually(() => expect(frames.map((f) => f.type)).toEqual(['ready', 'pong']));
    ws.close();

    const bad = new WebSocket(s.wsUrl, ['parley.v1']);
    await new Promise((r) => bad.once('open', r));
    bad.send(JSON.stringify({ type: 'auth', token: 'forged' }));
    expect(await new Promise((r) => bad.once('close', r))).toBe(4401);
    const rude = new WebSocket(s.wsUrl, ['parley.v1']);
    await new Promise((r) => rude.once('open', r));
    rude.send(JSON.stringify({ type: 'sync', cursors: {} }));
    expect(await new Promise((r) => rude.once('close', r))).toBe(4401);
  });
});

describe('token lifetime on live sockets', () => {
  it('closes a socket with 4401 when its token expires, unless the client refreshes in-band', async () => {
    const s = await server({ JWT_ACCESS_TTL: '5' });
    const user = await register(s.url);
    const lazy = await connect(s, user);
    const diligent = await connect(s, user);
    // Part-way through the first token's life, the client gets a new one (expiring later) and hands it in.
    await new Promise((r) => setTimeout(r, 2_500));
    const refreshed = await api(s.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refreshToken } });
    const reply = await diligent.request({ type: 'auth', token: refreshed.body.access_token });
    expect(reply).toMatchObject({ type: 'authenticated', expires_at: expect.any(String) });

    expect(await lazy.closed(10_000)).toBe(4401);
    expect(diligent.closeCode).toBeNull();
    expect(await diligent.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    // A token of another user is refused and the socket closed.
    const other = await register(s.url);
    diligent.sendRaw(JSON.stringify({ type: 'auth', token: other.token }));
    expect(await diligent.closed()).toBe(4403);
  }, 20_000);

  it('closes that session\'s sockets on logout and every socket on password change, on every instance', async () => {
    const bus = new MemoryBus();
    const [a, b] = [await server({}, bus), await server({}, bus)];
    const user = await register(a.url);
    const login = await api(a.url, 'POST', '/api/v1/auth/login', { body: { username: user.username, password: 'correct horse battery' } });
    const second = { ...user, token: login.body.access_token, refreshToken: login.body.refresh_token };
    const [firstA, firstB, secondB] = [await connect(a, user), await connect(b, user), await connect(b, second)];

    expect((await api(a.url, 'POST', '/api/v1/auth/logout', { body: { refresh_token: user.refreshToken } })).status).toBe(204);
    expect(await firstA.closed()).toBe(4401);
    expect(await firstB.closed()).toBe(4401);
    expect(await secondB.request({ type: 'ping' })).toMatchObject({ type: 'pong' });

    const changed = await api(b.url, 'POST', '/api/v1/auth/password', {
      token: second.token,
      body: { current_password: 'correct horse battery', new_password: 'a brand new secret' },
    });
    expect(changed.status).toBe(200);
    expect(await secondB.closed()).toBe(4401);
    const oldRefresh = await api(a.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: second.refreshToken } });
    expect(oldRefresh.status).toBe(401);
    expect((await api(a.url, 'POST', '/api/v1/auth/login', { body: { username: user.username, password: 'a brand new secret' } })).status).toBe(200);
    const fresh = await TestSocket.open(a.wsUrl, changed.body.access_token);
    expect(await fresh.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    fresh.close();
  });
});

describe('refresh token reuse grace', () => {
  it('lets two tabs refresh with the same token at once, but not later', async () => {
    const s = await server({ JWT_REFRESH_REUSE_GRACE: '2' });
    const user = await register(s.url);
    const [one, two] = await Promise.all([0, 1].map(() => api(s.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refreshToken } })));
    expect([one!.status, two!.status]).toEqual([200, 200]);
    expect(one!.body.refresh_token).not.toBe(two!.body.refresh_token);
    await new Promise((r) => setTimeout(r, 2_500));
    const late = await api(s.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refreshToken } });
    expect(late).toMatchObject({ status: 401, body: { error: { code: 'refresh_token_reused' } } });
    // The late reuse revoked the session: both tabs' successors are dead too.
    expect((await api(s.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: one!.body.refresh_token } })).status).toBe(401);
  });
});

describe('rate limits', () => {
  it('accepts messages up to the limit, answers the rest rate_limited with retry_after, and stores nothing for them', async () => {
    const s = await server({ RATE_LIMIT_MESSAGES: '1:10' });
    const [alice, bob] = [await register(s.url), await register(s.url)];
    const conv = await createConversation(s.url, alice, [bob]);
    const socket = await connect(s, alice);
    const replies = await Promise.all(Array.from({ length: 15 }, (_, i) => sendMessage(socket, conv.id, `flood ${i}`)));
    const acked = replies.filter((r) => r.type === 'ack');
    const limited = replies.filter((r) => r.type === 'error');
    expect(acked.length).toBeGreaterThanOrEqual(10);
    expect(acked.length).toBeLessThanOrEqual(12);
    expect(limited.every((r) => r.code === 'rate_limited' && (r.retry_after as number) >= 1)).toBe(true);
    const rows = await database().db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conv.id]);
    expect(rows[0]!.n).toBe(acked.length);
    // REST sends count against the same limit.
    const rest = await api(s.url, 'POST', `/api/v1/conversations/${conv.id}/messages`, {
      token: alice.token,
      body: { type: 'text', text: 'over REST', client_msg_id: 'rest-1' },
    });
    expect(rest.status).toBe(429);
    expect(rest.body.error).toMatchObject({ code: 'rate_limited', retry_after: expect.any(Number) });
    socket.close();
  });

  it('closes a socket that keeps sending while limited with 4429', async () => {
    const s = await server({ RATE_LIMIT_TYPING: '1:1' });
    const [alice, bob] = [await register(s.url), await register(s.url)];
    const conv = await createConversation(s.url, alice, [bob]);
    const socket = await connect(s, alice);
    for (let i = 0; i < 40; i++) socket.sendRaw(JSON.stringify({ type: 'typing', conversation_id: conv.id, state: 'start' }));
    expect(await socket.closed()).toBe(4429);
    // Others are unaffected.
    const other = await connect(s, bob);
    expect(await other.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    other.close();
  });

  (TEST_REDIS_URL ? it : it.skip)(`shares one user's message limit across two instances through Redis${TEST_REDIS_URL ? '' : ' (skipped: needs TEST_REDIS_URL)'}`, { timeout: 30_000 }, async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: testPrefix(), RATE_LIMIT_MESSAGES: '2:20' };
    const [x, y] = [await server(env), await server(env)];
    const [alice, bob] = [await register(x.url), await register(x.url)];
    const conv = await createConversation(x.url, alice, [bob]);
    const [onX, onY] = [await connect(x, alice), await connect(y, alice)];
    // 200 sends in about 10 s, alternating between the two instances.
    const started = Date.now();
    const pending = [];
    for (let i = 0; i < 200; i++) {
      const socket = i % 2 ? onY : onX;
      if (socket.closeCode === null) pending.push(sendMessage(socket, conv.id, `m${i}`).catch(() => null));
      await new Promise((r) => setTimeout(r, 50));
    }
    const replies = (await Promise.all(pending)).filter((r) => r !== null);
    const seconds = (Date.now() - started) / 1000;
    const acked = replies.filter((r) => r!.type === 'ack').length;
    // One bucket for both instances: the burst plus what refilled meanwhile, not twice that.
    expect(acked).toBeGreaterThanOrEqual(20);
    expect(acked).toBeLessThanOrEqual(20 + Math.ceil(seconds * 2) + 1);
    const refused = replies.filter((r) => r!.type === 'error');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r!.code === 'rate_limited' && (r!.retry_after as number) >= 1)).toBe(true);
    // A socket that ignores retry_after long enough is closed with 4429; none other.
    for (const socket of [onX, onY]) expect([null, 4429]).toContain(socket.closeCode);
    onX.close();
    onY.close();
  });

  it('keeps a per-instance limit when Redis is unreachable (never none, never 5xx)', async () => {
    const s = await server({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_MESSAGES: '1:5' });
    const [alice, bob] = [await register(s.url), await register(s.url)];
    const conv = await createConversation(s.url, alice, [bob]);
    const socket = await connect(s, alice);
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => sendMessage(socket, conv.id, `m${i}`)));
    expect(replies.filter((r) => r.type === 'ack').length).toBeLessThanOrEqual(6);
    expect(replies.filter((r) => r.type === 'error').every((r) => r.code === 'rate_limited')).toBe(true);
    socket.close();
  });

  it('throttles public routes per address and logins per account, with Retry-After', async () => {
    const s = await server({ RATE_LIMIT_LOGIN_ACCOUNT: '0.01:3' });
    const user = await register(s.url);
    const attempt = () => api(s.url, 'POST', '/api/v1/auth/login', { body: { username: user.username, password: 'guess guess' } });
    const answers = [await attempt(), await attempt(), await attempt(), await attempt()];
    expect(answers.slice(0, 3).map((r) => r.status)).toEqual([401, 401, 401]);
    expect(answers[3]).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
    // The right password is throttled too while the account is locked out: guessing gains nothing.
    const right = await api(s.url, 'POST', '/api/v1/auth/login', { body: { username: user.username, password: 'correct horse battery' } });
    expect(right.status).toBe(429);

    const strict = await server({ RATE_LIMIT_PUBLIC: '0.01:2' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api(strict.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: 'nope' } })).status);
    expect(statuses).toEqual([401, 401, 429]);
    const res = await fetch(`${strict.url}/api/v1/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"refresh_token":"nope"}' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('HTTP hardening and audit', () => {
  it('sends security headers and CORS only to configured origins', async () => {
    const s = await server({ PUBLIC_ORIGINS: 'https://chat.example' });
    const res = await fetch(`${s.url}/healthz`, { headers: { origin: 'https://chat.example' } });
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://chat.example');
    const evil = await fetch(`${s.url}/healthz`, { headers: { origin: 'https://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('logs security events as audit lines without secrets', async () => {
    const s = await server({ RATE_LIMIT_LOGIN_ACCOUNT: '0.01:1' });
    const user = await register(s.url);
    await api(s.url, 'POST', '/api/v1/auth/login', { body: { username: user.username, password: 'wrong-password-1' } });
    await api(s.url, 'POST', '/api/v1/auth/login', { body: { username: user.username, password: 'wrong-password-2' } });
    await handshake(s.wsUrl, { headers: { authorization: 'Bearer forged.token.here' } });
    const audit = s.logs.filter((l) => l.includes('"audit":true')).map((l) => JSON.parse(l) as { event: string });
    expect(audit.map((e) => e.event)).toEqual(expect.arrayContaining(['registered', 'login_failed', 'rate_limited', 'handshake_rejected']));
    const all = s.logs.join('\n');
    for (const secret of [user.token, user.refreshToken, 'wrong-password-1', 'forged.token.here']) expect(all).not.toContain(secret);
  });
});

const OPENSSL = which('openssl');
(OPENSSL ? describe : describe.skip)(`TLS${OPENSSL ? '' : ' (skipped: needs openssl to make a test certificate)'}`, () => {
  it('serves HTTPS and WSS itself when given a certificate and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
    try {
      execFileSync(OPENSSL!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const s = await server({ TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') });
      expect(s.url.startsWith('https://')).toBe(true);
      const ca = readFileSync(join(dir, 'cert.pem'));
      const body = await new Promise<string>((resolve, reject) => {
        httpsGet(`${s.url}/healthz`, { ca }, (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve(data));
        }).on('error', reject);
      });
      expect(JSON.parse(body)).toEqual({ status: 'ok' });
      const status = await new Promise<number>((resolve, reject) => {
        // Registration over fetch would need the CA: a credential-less handshake shows WSS is served.
        const ws = new WebSocket(s.wsUrl, { ca });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('upgrade', () => resolve(101));
        ws.once('error', reject);
      });
      expect(status).toBe(101); // upgraded over TLS (credentials would follow in an `auth` frame)
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
