import { beforeAll, expect, it } from 'vitest';
import type { Cluster } from '../support/cluster.ts';
import { api, connect, createConversation, register, sendMessage, startServer, uniqueName, type TestServer, type TestUser } from '../support/harness.ts';
import { TestSocket } from '../support/test-socket.ts';
import { eventually } from '../support/eventually.ts';
import { handshake } from '../support/handshake.ts';

/** A bot created by `owner`, with a token of the given scope, exchanged for an access token. */
async function botWithToken(server: TestServer, owner: TestUser, scope: Record<string, unknown> = {}) {
  const created = await api(server.url, 'POST', '/api/v1/bots', { token: owner.token, body: { username: uniqueName('bot'), display_name: 'Deploy bot' } });
  expect(created.status).toBe(201);
  const token = await api(server.url, 'POST', `/api/v1/bots/${created.body.id}/tokens`, { token: owner.token, body: { name: 'ci', ...scope } });
  expect(token.status).toBe(201);
  const session = await api(server.url, 'POST', '/api/v1/auth/bot', { body: { token: token.body.token } });
  expect(session.status).toBe(200);
  const asUser: TestUser = { id: created.body.id, username: created.body.username, token: session.body.access_token, refreshToken: '' };
  return { bot: created.body, secret: token.body.token as string, tokenId: token.body.id as string, user: asUser };
}

/** Bot accounts and their tokens; incoming webhooks. */
export function botsSuite(cluster: Cluster): void {
  let a: TestServer;
  let b: TestServer;
  beforeAll(() => ({ a, b } = cluster));

  it('a user creates a bot: shown as a bot everywhere, its token shown once and stored hashed, no password login', async () => {
    const owner = await register(a.url);
    const { bot, secret, tokenId, user } = await botWithToken(a, owner);
    expect(bot).toMatchObject({ kind: 'bot', owner_id: owner.id, display_name: 'Deploy bot' });
    expect(secret).toMatch(/^pbt_[A-Za-z0-9_-]{43}$/);

    // The bot acts with its token on the other instance too, and is a bot in every user view.
    expect((await api(b.url, 'GET', '/api/v1/users/me', { token: user.token })).body).toMatchObject({ id: bot.id, kind: 'bot' });
    expect((await api(b.url, 'GET', `/api/v1/users/${bot.id}`, { token: owner.token })).body.kind).toBe('bot');
    expect((await api(b.url, 'GET', `/api/v1/users/${owner.id}`, { token: owner.token })).body.kind).toBe('user');
    const conv = await createConversation(a.url, owner, [{ ...user }]);
    expect(conv.members.find((m) => m.id === bot.id)?.kind).toBe('bot');

    // Listed without the secret; the database holds a hash only.
    const listed = await api(a.url, 'GET', `/api/v1/bots/${bot.id}/tokens`, { token: owner.token });
    expect(listed.body.tokens).toEqual([expect.objectContaining({ id: tokenId, name: 'ci', conversation_ids: null, read: true, send: true, revoked_at: null })]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const [row] = await cluster.database.db.query<{ token_hash: string }>('SELECT token_hash FROM bot_tokens WHERE id = $1', [tokenId]);
    expect(row!.token_hash).not.toContain(secret.slice(4));

    // No password opens a bot: refused exactly like a wrong password.
    const asBot = await api(a.url, 'POST', '/api/v1/auth/login', { body: { username: bot.username, password: '!bot' } });
    const wrong = await api(a.url, 'POST', '/api/v1/auth/login', { body: { username: owner.username, password: 'not it at all' } });
    expect(asBot).toEqual(wrong);
    expect(asBot.status).toBe(401);

    // Someone else's bot is invisible; a bad token is refused; bots cannot manage bots.
    const stranger = await register(a.url);
    expect((await api(a.url, 'POST', `/api/v1/bots/${bot.id}/tokens`, { token: stranger.token, body: { name: 'x' } })).body.error.code).toBe('not_found');
    expect((await api(a.url, 'POST', '/api/v1/auth/bot', { body: { token: 'pbt_nope' } })).body.error.code).toBe('invalid_credentials');
    expect((await api(a.url, 'POST', '/api/v1/bots', { token: user.token, body: { username: uniqueName('b') } })).body.error.code).toBe('forbidden');
  });

  it('the bot talks over the socket with its token; a revoked token is refused on every instance and its sockets close', async () => {
    const owner = await register(a.url);
    const { bot, tokenId, secret, user } = await botWithToken(a, owner);
    const conv = await createConversation(a.url, owner, [user]);
    const socket = await connect(b, user);
    const ack = await sendMessage(socket, conv.id, 'hello from the bot');
    expect(ack.type).toBe('ack');

    const revoked = await api(a.url, 'DELETE', `/api/v1/bots/${bot.id}/tokens/${tokenId}`, { token: owner.token });
    expect(revoked.status).toBe(204);
    expect(await socket.closed()).toBe(4401);
    for (const s of [a, b]) {
      await eventually(async () => expect((await api(s.url, 'GET', '/api/v1/users/me', { token: user.token })).status).toBe(401), { timeoutMs: 1_000 });
      expect(await handshake(s.wsUrl, { protocols: ['parley.v1', `bearer.${user.token}`] })).toBe(401);
    }
    expect((await api(b.url, 'POST', '/api/v1/auth/bot', { body: { token: secret } })).status).toBe(401);
  });

  it('a scoped token reads and sends only in its conversations, and only what its scope allows', async () => {
    const owner = await register(a.url);
    const created = await api(a.url, 'POST', '/api/v1/bots', { token: owner.token, body: { username: uniqueName('scoped') } });
    const botStub: TestUser = { id: created.body.id, username: created.body.username, token: '', refreshToken: '' };
    const inside = await createConversation(a.url, owner, [botStub]);
    const other = await register(a.url);
    const outside = await createConversation(a.url, owner, [botStub, other], 'group');
    await api(a.url, 'POST', `/api/v1/conversations/${outside.id}/messages`, { token: owner.token, body: { type: 'text', text: 'secret plans', client_msg_id: 'o-1' } });

    const tokenFor = async (scope: Record<string, unknown>) => {
      const t = await api(a.url, 'POST', `/api/v1/bots/${created.body.id}/tokens`, { token: owner.token, body: { name: 'scoped', ...scope } });
      const s = await api(a.url, 'POST', '/api/v1/auth/bot', { body: { token: t.body.token } });
      return { ...botStub, token: s.body.access_token as string };
    };
    const scoped = await tokenFor({ conversation_ids: [inside.id] });

    // REST: the list shows only the scoped conversation; the other answers as if the bot were not in it.
    const list = await api(b.url, 'GET', '/api/v1/conversations', { token: scoped.token });
    expect(list.body.conversations.map((c: { id: string }) => c.id)).toEqual([inside.id]);
    for (const path of [`/api/v1/conversations/${outside.id}`, `/api/v1/conversations/${outside.id}/messages?after_seq=0`]) {
      expect(await api(b.url, 'GET', path, { token: scoped.token })).toMatchObject({ status: 404, body: { error: { code: 'conversation_not_found' } } });
    }
    expect((await api(b.url, 'GET', `/api/v1/conversations/${inside.id}/messages?after_seq=0`, { token: scoped.token })).status).toBe(200);
    expect((await api(b.url, 'POST', '/api/v1/conversations', { token: scoped.token, body: { type: 'direct', member_ids: [other.id] } })).status).toBe(403);

    // Socket: sync and send outside are refused; pushes from outside never arrive, from inside they do.
    const socket = await connect(a, scoped);
    expect(await socket.request({ type: 'sync', cursors: { [outside.id]: 0 } })).toMatchObject({ type: 'error', code: 'conversation_not_found' });
    expect(await sendMessage(socket, outside.id, 'leak')).toMatchObject({ type: 'error', code: 'conversation_not_found' });
    await api(a.url, 'POST', `/api/v1/conversations/${outside.id}/messages`, { token: owner.token, body: { type: 'text', text: 'more secrets', client_msg_id: 'o-2' } });
    await api(a.url, 'POST', `/api/v1/conversations/${inside.id}/messages`, { token: owner.token, body: { type: 'text', text: 'for the bot', client_msg_id: 'i-1' } });
    await socket.next((f) => f.type === 'message' && f.conversation_id === inside.id);
    // Pushed after the outside message on the same bus: had that one been let through, it would be here by now.
    expect(socket.messages(outside.id)).toEqual([]);
    const synced = await socket.request({ type: 'sync', cursors: { [inside.id]: 0 } });
    expect(synced).toMatchObject({ type: 'synced', cursors: { [inside.id]: 1 } });
    expect(socket.messages(inside.id).some((m) => m.replayed === true)).toBe(true);
    socket.close();

    // Send-only: may post, may not read.
    const sendOnly = await tokenFor({ conversation_ids: [inside.id], read: false });
    expect((await api(a.url, 'GET', `/api/v1/conversations/${inside.id}/messages?after_seq=0`, { token: sendOnly.token })).body.error.code).toBe('forbidden');
    expect((await api(a.url, 'POST', `/api/v1/conversations/${inside.id}/messages`, { token: sendOnly.token, body: { type: 'text', text: 'deployed', client_msg_id: 'd-1' } })).status).toBe(201);
    const quiet = await connect(b, sendOnly);
    expect(await quiet.request({ type: 'sync', cursors: { [inside.id]: 0 } })).toMatchObject({ type: 'error', code: 'forbidden' });
    // Read-only: may not post.
    const readOnly = await tokenFor({ send: false });
    expect((await api(a.url, 'POST', `/api/v1/conversations/${inside.id}/messages`, { token: readOnly.token, body: { type: 'text', text: 'x', client_msg_id: 'r-1' } })).body.error.code).toBe('forbidden');
    quiet.close();
  });

  it('a group admin creates a webhook: it posts with its integration shown, a revoked one gets 404', async () => {
    const admin = await register(a.url);
    const member = await register(a.url);
    const group = await createConversation(a.url, admin, [member, await register(a.url)], 'group');
    expect((await api(a.url, 'POST', `/api/v1/conversations/${group.id}/webhooks`, { token: member.token, body: { name: 'Alerts' } })).status).toBe(403);
    const hook = await api(a.url, 'POST', `/api/v1/conversations/${group.id}/webhooks`, { token: admin.token, body: { name: 'Alerts' } });
    expect(hook.status).toBe(201);
    expect(hook.body.path).toBe(`/api/v1/hooks/${hook.body.token}`);

    const watcher = await connect(b, member);
    const posted = await api(b.url, 'POST', hook.body.path, { body: { text: 'disk 91% full', display_name: 'Grafana' } });
    expect(posted.status).toBe(201);
    const pushed = await watcher.next((f) => f.type === 'message' && f.seq === posted.body.seq);
    const integration = { webhook_id: hook.body.id, name: 'Alerts', display_name: 'Grafana' };
    expect(pushed).toMatchObject({ sender_id: hook.body.sender_id, integration, message: { type: 'text', text: 'disk 91% full' } });
    expect(pushed.message).not.toHaveProperty('integration');
    const history = await api(a.url, 'GET', `/api/v1/conversations/${group.id}/messages?after_seq=0`, { token: member.token });
    expect(history.body.messages.at(-1)).toMatchObject({ integration, message: { text: 'disk 91% full' } });
    const sender = await api(a.url, 'GET', `/api/v1/users/${hook.body.sender_id}`, { token: member.token });
    expect(sender.body).toMatchObject({ kind: 'bot', display_name: 'Alerts' });
    // A client cannot claim to be an integration.
    const forged = await api(a.url, 'POST', `/api/v1/conversations/${group.id}/messages`, {
      token: member.token,
      body: { type: 'text', text: 'fake', client_msg_id: 'f-1', integration },
    });
    expect(forged.status).toBe(400);

    const listed = await api(a.url, 'GET', `/api/v1/conversations/${group.id}/webhooks`, { token: member.token });
    expect(listed.body.webhooks).toEqual([expect.objectContaining({ id: hook.body.id, revoked_at: null })]);
    expect(JSON.stringify(listed.body)).not.toContain(hook.body.token);

    expect((await api(a.url, 'DELETE', `/api/v1/conversations/${group.id}/webhooks/${hook.body.id}`, { token: admin.token })).status).toBe(204);
    const after = await api(b.url, 'POST', hook.body.path, { body: { text: 'still there?' } });
    expect(after).toMatchObject({ status: 404, body: { error: { code: 'webhook_not_found' } } });
    expect((await api(a.url, 'POST', '/api/v1/hooks/whk_never-issued', { body: { text: 'x' } })).status).toBe(404);
    const logs = [...a.logs, ...b.logs].join('\n');
    expect(logs).not.toContain(hook.body.token);
    expect(logs).toContain('"event":"webhook_posted"');
    expect(logs).toContain('"event":"webhook_revoked"');
    watcher.close();
  });

  it('a flood through a webhook is rate limited, and nothing past the limit is stored', async () => {
    const limited = await startServer(cluster.database.db, { env: { RATE_LIMIT_MESSAGES: '0.5:5' } });
    try {
      const admin = await register(limited.url);
      const group = await createConversation(limited.url, admin, [await register(limited.url), await register(limited.url)], 'group');
      const hook = await api(limited.url, 'POST', `/api/v1/conversations/${group.id}/webhooks`, { token: admin.token, body: { name: 'Flood' } });
      const answers = [];
      for (let i = 0; i < 12; i++) answers.push(await api(limited.url, 'POST', hook.body.path, { body: { text: `alert ${i}` } }));
      const statuses = answers.map((r) => r.status);
      expect(statuses.slice(0, 5)).toEqual([201, 201, 201, 201, 201]);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(6);
      expect(answers.find((r) => r.status === 429)?.body.error).toMatchObject({ code: 'rate_limited', retry_after: expect.any(Number) });
      const history = await api(limited.url, 'GET', `/api/v1/conversations/${group.id}/messages?after_seq=0`, { token: admin.token });
      const texts = history.body.messages.filter((m: { integration?: unknown }) => m.integration).map((m: { message: { text: string } }) => m.message.text);
      expect(texts.length).toBe(statuses.filter((s) => s === 201).length);
    } finally {
      await limited.close();
    }
  });
}
