import { describe, expect, it } from 'vitest';
import { api, connect, createConversation, register, sendMessage, uniqueName, type TestServer, type TestUser } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import { handshake } from './support/handshake.ts';
import { instancesOnPostgresAndRedis, POSTGRES_REDIS_MISSING } from './support/shared-database.ts';

/**
 * A revoked bot token across two instances that share only PostgreSQL and
 * Redis (no in-process bus): both refuse it within a second — the bus hop,
 * or the revoked-sessions poll (every 500 ms) if the hop is lost — and the
 * bot's socket on the instance that did not revoke it is closed.
 */
(POSTGRES_REDIS_MISSING.length === 0 ? describe : describe.skip)(
  `bot token revocation on two instances over PostgreSQL and Redis${POSTGRES_REDIS_MISSING.length ? ` (skipped: needs ${POSTGRES_REDIS_MISSING.join(', ')})` : ''}`,
  () => {
    const instances = instancesOnPostgresAndRedis(2);

    it('is refused by REST, the handshake and the token exchange on both instances within a second, and its socket closes', async () => {
      const [a, b] = instances() as [TestServer, TestServer];
      const owner = await register(a.url);
      const created = await api(a.url, 'POST', '/api/v1/bots', { token: owner.token, body: { username: uniqueName('revbot') } });
      const issued = await api(a.url, 'POST', `/api/v1/bots/${created.body.id}/tokens`, { token: owner.token, body: { name: 'prod' } });
      const exchanged = await api(b.url, 'POST', '/api/v1/auth/bot', { body: { token: issued.body.token } });
      const bot: TestUser = { id: created.body.id, username: created.body.username, token: exchanged.body.access_token, refreshToken: '' };
      const conv = await createConversation(a.url, owner, [bot]);
      const socket = await connect(b, bot);
      expect((await sendMessage(socket, conv.id, 'up')).type).toBe('ack');
      for (const s of [a, b]) expect((await api(s.url, 'GET', '/api/v1/users/me', { token: bot.token })).status).toBe(200);

      const started = Date.now();
      expect((await api(a.url, 'DELETE', `/api/v1/bots/${bot.id}/tokens/${issued.body.id}`, { token: owner.token })).status).toBe(204);
      // The requirement is a second on every instance: the bound is the behaviour under test, not a speed figure.
      await Promise.all(
        [a, b].map((s) =>
          eventually(async () => expect((await api(s.url, 'GET', '/api/v1/users/me', { token: bot.token })).status).toBe(401), {
            timeoutMs: 1_000 - (Date.now() - started),
            intervalMs: 10,
          }),
        ),
      );
      expect(await socket.closed(2_000)).toBe(4401);
      for (const s of [a, b]) {
        expect(await handshake(s.wsUrl, { protocols: ['parley.v1', `bearer.${bot.token}`] })).toBe(401);
        expect((await api(s.url, 'POST', '/api/v1/auth/bot', { body: { token: issued.body.token } })).body.error.code).toBe('invalid_credentials');
      }
    });
  },
);
