import { beforeAll, expect, it } from 'vitest';
import type { BotView } from '@parley/protocol';
import { api, connect, createConversation, register, sendMessage, uniqueName, type TestServer, type TestUser } from '../support/harness.ts';
import { eventually } from '../support/eventually.ts';
import type { Database } from '../../src/store/database.ts';

export interface OperatorBotsFixture {
  server: TestServer;
  db: Database;
  /** A username in ADMIN_USERS, not yet registered. */
  configuredAdmin: string;
  /** Another username in ADMIN_USERS, for a bot. */
  configuredBot: string;
}

/** Server operators create bots owned by no user, list every bot, and manage any bot's tokens. */
export function operatorBotsSuite(fixture: () => OperatorBotsFixture): void {
  let server: TestServer, db: Database;
  let operator: TestUser, alice: TestUser;

  beforeAll(async () => {
    ({ server, db } = fixture());
    const res = await api(server.url, 'POST', '/api/v1/auth/register', { body: { username: fixture().configuredAdmin, password: 'correct horse battery' } });
    operator = { id: res.body.user.id, username: res.body.user.username, token: res.body.access_token, refreshToken: res.body.refresh_token };
    alice = await register(server.url, 'alice');
  });

  it('an operator creates a bot owned by nobody, issues and revokes its tokens, and lists every bot', async () => {
    const created = await api(server.url, 'POST', '/api/v1/admin/bots', { token: operator.token, body: { username: uniqueName('opsbot'), display_name: 'Ops bot' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'bot', owner_id: null, display_name: 'Ops bot' });
    const botId = created.body.id as string;

    const issued = await api(server.url, 'POST', `/api/v1/admin/bots/${botId}/tokens`, { token: operator.token, body: { name: 'deploys' } });
    expect(issued.status).toBe(201);
    const session = await api(server.url, 'POST', '/api/v1/auth/bot', { body: { token: issued.body.token } });
    expect(session.status).toBe(200);
    const bot: TestUser = { id: botId, username: created.body.username, token: session.body.access_token, refreshToken: '' };
    const conv = await createConversation(server.url, alice, [bot]);
    const socket = await connect(server, bot);
    expect((await sendMessage(socket, conv.id, 'deployed')).type).toBe('ack');

    // A user's own bot is listed too, and its tokens are the operator's to revoke.
    const owned = await api(server.url, 'POST', '/api/v1/bots', { token: alice.token, body: { username: uniqueName('alicebot') } });
    const ownedToken = await api(server.url, 'POST', `/api/v1/bots/${owned.body.id}/tokens`, { token: alice.token, body: { name: 'hers' } });
    const all = await api<{ bots: BotView[] }>(server.url, 'GET', '/api/v1/admin/bots', { token: operator.token });
    expect(all.body.bots.map((b) => [b.id, b.owner_id])).toEqual(expect.arrayContaining([[botId, null], [owned.body.id, alice.id]]));
    const theirs = await api(server.url, 'GET', `/api/v1/admin/bots/${owned.body.id}/tokens`, { token: operator.token });
    expect(theirs.body.tokens).toEqual([expect.objectContaining({ id: ownedToken.body.id, name: 'hers', revoked_at: null })]);
    expect(JSON.stringify(theirs.body)).not.toContain(ownedToken.body.token);
    expect((await api(server.url, 'DELETE', `/api/v1/admin/bots/${owned.body.id}/tokens/${ownedToken.body.id}`, { token: operator.token })).status).toBe(204);
    expect((await api(server.url, 'POST', '/api/v1/auth/bot', { body: { token: ownedToken.body.token } })).status).toBe(401);

    // Revoking the operator's bot's token closes its socket and refuses its access token.
    expect((await api(server.url, 'DELETE', `/api/v1/admin/bots/${botId}/tokens/${issued.body.id}`, { token: operator.token })).status).toBe(204);
    expect(await socket.closed()).toBe(4401);
    await eventually(async () => expect((await api(server.url, 'GET', '/api/v1/users/me', { token: bot.token })).status).toBe(401));

    // Users still cannot manage a bot they do not own, operator-made ones included.
    expect((await api(server.url, 'POST', `/api/v1/bots/${botId}/tokens`, { token: alice.token, body: { name: 'x' } })).body.error.code).toBe('not_found');
  });

  it('refuses non-operators and bot tokens (403) and stores nothing; unknown bots and webhook users are not found', async () => {
    const name = uniqueName('nobot');
    const refused = await api(server.url, 'POST', '/api/v1/admin/bots', { token: alice.token, body: { username: name } });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'operator_only' } } });
    expect((await api(server.url, 'GET', '/api/v1/admin/bots', { token: alice.token })).status).toBe(403);
    expect(await db.query('SELECT id FROM users WHERE username = $1', [name])).toEqual([]);

    // A bot named in ADMIN_USERS passes the operator check: its token is still refused there.
    const adminBot = await api(server.url, 'POST', '/api/v1/admin/bots', { token: operator.token, body: { username: fixture().configuredBot } });
    const adminBotToken = await api(server.url, 'POST', `/api/v1/admin/bots/${adminBot.body.id}/tokens`, { token: operator.token, body: { name: 'x' } });
    const adminBotSession = await api(server.url, 'POST', '/api/v1/auth/bot', { body: { token: adminBotToken.body.token } });
    const asBot = await api(server.url, 'POST', '/api/v1/admin/bots', { token: adminBotSession.body.access_token, body: { username: uniqueName('viabot') } });
    expect(asBot).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await api(server.url, 'GET', '/api/v1/admin/event-endpoints', { token: adminBotSession.body.access_token })).status).toBe(403);
    expect((await api(server.url, 'POST', `/api/v1/admin/bots/${crypto.randomUUID()}/tokens`, { token: operator.token, body: { name: 'x' } })).body.error.code).toBe('not_found');
    expect((await api(server.url, 'POST', `/api/v1/admin/bots/${alice.id}/tokens`, { token: operator.token, body: { name: 'x' } })).body.error.code).toBe('not_found');
    const group = await createConversation(server.url, alice, [operator], 'group');
    const hook = await api(server.url, 'POST', `/api/v1/conversations/${group.id}/webhooks`, { token: alice.token, body: { name: 'Alerts' } });
    expect((await api(server.url, 'POST', `/api/v1/admin/bots/${hook.body.sender_id}/tokens`, { token: operator.token, body: { name: 'x' } })).body.error.code).toBe('not_found');
    const all = await api<{ bots: BotView[] }>(server.url, 'GET', '/api/v1/admin/bots', { token: operator.token });
    expect(all.body.bots.map((b) => b.id)).not.toContain(hook.body.sender_id);
    expect((await api(server.url, 'POST', '/api/v1/admin/bots', { token: operator.token, body: { username: 'bad name!' } })).body.error.code).toBe('validation_failed');
  });
}
