import { beforeAll, expect, it } from 'vitest';
import { SignJWT, generateKeyPair } from 'jose';
import { AccessTokens } from '../../src/auth/access-tokens.ts';
import type { Cluster } from '../support/cluster.ts';
import { api, register, uniqueName, type TestServer } from '../support/harness.ts';
import { TestSocket } from '../support/test-socket.ts';
import { handshake } from '../support/handshake.ts';

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Registration, login, refresh rotation, logout, and the authenticated handshake. */
export function authSuite(cluster: Cluster): void {
  let a: TestServer;
  beforeAll(() => ({ a } = cluster));

  it('registers, logs in, and gives the same answer for an unknown user and a wrong password', async () => {
    const username = uniqueName('Carol');
    const reg = await api(a.url, 'POST', '/api/v1/auth/register', { body: { username, password: 'long enough pw', display_name: 'Carol' } });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toEqual({ id: expect.any(String), username: username.toLowerCase(), display_name: 'Carol', kind: 'user' });
    expect(reg.body).not.toHaveProperty('user.password_hash');

    const dup = await api(a.url, 'POST', '/api/v1/auth/register', { body: { username: username.toUpperCase(), password: 'long enough pw' } });
    expect(dup).toMatchObject({ status: 409, body: { error: { code: 'username_taken' } } });

    const ok = await api(a.url, 'POST', '/api/v1/auth/login', { body: { username, password: 'long enough pw' } });
    expect(ok.status).toBe(200);
    const me = await api(a.url, 'GET', '/api/v1/users/me', { token: ok.body.access_token });
    expect(me.body.id).toBe(reg.body.user.id);

    const wrong = await api(a.url, 'POST', '/api/v1/auth/login', { body: { username, password: 'not the password' } });
    const unknown = await api(a.url, 'POST', '/api/v1/auth/login', { body: { username: uniqueName('nobody'), password: 'not the password' } });
    expect(wrong).toEqual(unknown);
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'invalid_credentials' } } });
  });

  it('changes the caller\'s display name, validated like at registration, and others see it by id', async () => {
    const [user, other] = [await register(a.url), await register(a.url)];
    const renamed = await api(a.url, 'PATCH', '/api/v1/users/me', { token: user.token, body: { display_name: '  Zoë  Renamed ' } });
    expect(renamed).toMatchObject({ status: 200, body: { id: user.id, display_name: 'Zoë  Renamed' } });
    expect((await api(a.url, 'GET', `/api/v1/users/${user.id}`, { token: other.token })).body.display_name).toBe('Zoë  Renamed');

    const refused = [
      await api(a.url, 'PATCH', '/api/v1/users/me', { token: user.token, body: { display_name: '   ' } }),
      await api(a.url, 'PATCH', '/api/v1/users/me', { token: user.token, body: { display_name: 'bad\u202Ename' } }),
      await api(a.url, 'PATCH', '/api/v1/users/me', { token: user.token, body: { display_name: 'x'.repeat(65) } }),
      await api(a.url, 'PATCH', '/api/v1/users/me', { token: user.token, body: { display_name: 'ok', username: 'takeover' } }),
    ];
    expect(refused.map((r) => [r.status, r.body.error.code])).toEqual([
      [400, 'validation_failed'],
      [400, 'invalid_text'],
      [400, 'validation_failed'],
      [400, 'validation_failed'],
    ]);
    expect((await api(a.url, 'PATCH', '/api/v1/users/me', { body: { display_name: 'anon' } })).status).toBe(401);
    expect((await api(a.url, 'GET', '/api/v1/users/me', { token: user.token })).body).toMatchObject({ username: user.username, display_name: 'Zoë  Renamed' });
  });

  it('lists everyone but the caller by username, a page at a time, as a directory to browse', async () => {
    const [viewer, ...others] = await Promise.all(Array.from({ length: 4 }, () => register(a.url)));
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 1000; pages++) {
      const query: string = after ? `?limit=7&after=${encodeURIComponent(after)}` : '?limit=7';
      const page = await api(a.url, 'GET', `/api/v1/users/directory${query}`, { token: viewer!.token });
      expect(page.status).toBe(200);
      expect(page.body.users.length).toBeLessThanOrEqual(7);
      for (const u of page.body.users) expect(Object.keys(u).sort()).toEqual(['display_name', 'id', 'kind', 'username']);
      seen.push(...page.body.users.map((u: { username: string }) => u.username));
      after = page.body.next_after;
      if (after === null) break;
    }
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).not.toContain(viewer!.username);
    for (const o of others) expect(seen).toContain(o.username);
    for (const bad of ['?limit=0', '?limit=51', '?after=', `?after=${'x'.repeat(33)}`]) {
      expect((await api(a.url, 'GET', `/api/v1/users/directory${bad}`, { token: viewer!.token })).status, bad).toBe(400);
    }
    expect((await api(a.url, 'GET', '/api/v1/users/directory')).status).toBe(401);
  });

  it('rotates refresh tokens and revokes the family when a rotated one is reused', async () => {
    const user = await register(a.url);
    const first = await api(a.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(user.refreshToken);
    const second = await api(a.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: first.body.refresh_token } });
    expect(second.status).toBe(200);

    // The first token again: someone else has it. Everything in the family dies.
    const reuse = await api(a.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refreshToken } });
    expect(reuse).toMatchObject({ status: 401, body: { error: { code: 'refresh_token_reused' } } });
    const latest = await api(a.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: second.body.refresh_token } });
    expect(latest).toMatchObject({ status: 401, body: { error: { code: 'invalid_refresh_token' } } });
  });

  it('logs out by revoking the refresh token family', async () => {
    const user = await register(a.url);
    expect((await api(a.url, 'POST', '/api/v1/auth/logout', { body: { refresh_token: user.refreshToken } })).status).toBe(204);
    const after = await api(a.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refreshToken } });
    expect(after).toMatchObject({ status: 401, body: { error: { code: 'invalid_refresh_token' } } });
  });

  it('authenticates the handshake by subprotocol, header or one-use ticket', async () => {
    const user = await register(a.url);
    expect(await handshake(a.wsUrl, { protocols: ['parley.v1', `bearer.${user.token}`] })).toBe(101);
    expect(await handshake(a.wsUrl, { headers: { authorization: `Bearer ${user.token}` } })).toBe(101);

    const ticket = await api(a.url, 'POST', '/api/v1/auth/ws-ticket', { token: user.token });
    expect(ticket.status).toBe(200);
    expect(await handshake(`${a.wsUrl}?ticket=${ticket.body.ticket}`)).toBe(101);
    expect(await handshake(`${a.wsUrl}?ticket=${ticket.body.ticket}`)).toBe(401);

    // The server selects parley.v1 and never echoes the token back.
    const socket = await TestSocket.open(a.wsUrl, user.token);
    expect(socket.ws.protocol).toBe('parley.v1');
    socket.close();
  });

  it('refuses expired, forged, alg:none and wrong-audience tokens with 401 and no upgrade', async () => {
    const user = await register(a.url);
    const db = cluster.database.db;
    const issuer = (opts: { audience?: string; issuer?: string }) =>
      new AccessTokens(db, { issuer: opts.issuer ?? 'parley', audience: opts.audience ?? 'parley', ttlSeconds: 60 }, { isRevoked: () => false });

    const real = issuer({});
    await real.init();
    const sid = crypto.randomUUID();
    const expired = await real.sign(user.id, sid, -10);
    const wrongAudience = await (async () => {
      const t = issuer({ audience: 'someone-else' });
      await t.init();
      return t.sign(user.id, sid);
    })();
    const wrongIssuer = await (async () => {
      const t = issuer({ issuer: 'evil' });
      await t.init();
      return t.sign(user.id, sid);
    })();
    const valid = await real.sign(user.id, sid);
    const kid = JSON.parse(Buffer.from(valid.split('.')[0]!, 'base64url').toString()).kid;
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ sid })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setSubject(user.id)
      .setIssuer('parley')
      .setAudience('parley')
      .setExpirationTime('5m')
      .sign(privateKey);
    const now = Math.floor(Date.now() / 1000);
    const none = `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64({ sub: user.id, sid, iss: 'parley', aud: 'parley', exp: now + 300 })}.`;
    const hs256 = await new SignJWT({ sid })
      .setProtectedHeader({ alg: 'HS256', kid })
      .setSubject(user.id)
      .setIssuer('parley')
      .setAudience('parley')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('guessable'));
    const tampered = valid.replace(/\.([^.]+)\./, `.${b64({ sub: crypto.randomUUID(), sid, iss: 'parley', aud: 'parley', exp: now + 300 })}.`);

    expect(await handshake(a.wsUrl, { protocols: ['parley.v1', `bearer.${valid}`] })).toBe(101);
    for (const token of [expired, forged, none, hs256, wrongAudience, wrongIssuer, tampered, 'garbage']) {
      expect(await handshake(a.wsUrl, { protocols: ['parley.v1', `bearer.${token}`] })).toBe(401);
      expect(await handshake(a.wsUrl, { headers: { authorization: `Bearer ${token}` } })).toBe(401);
      const rest = await api(a.url, 'GET', '/api/v1/users/me', { token });
      expect(rest.status).toBe(401);
    }
    const restExpired = await api(a.url, 'GET', '/api/v1/users/me', { token: expired });
    expect(restExpired.body.error.code).toBe('token_expired');
  });
}
