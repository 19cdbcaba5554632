import { beforeAll, expect, it } from 'vitest';
import type { ModerationItemView } from '@parley/protocol';
import { api, connect, createConversation, register, sendMessage, textMessage, uniqueName, type TestServer, type TestUser } from '../support/harness.ts';
import { eventually } from '../support/eventually.ts';
import type { Database } from '../../src/store/database.ts';
import { hidingSuite } from './moderation-hiding.ts';

export interface ModerationFixture {
  server: TestServer;
  db: Database;
  /** The username configured in ADMIN_USERS. */
  configuredAdmin: string;
  /** Where moderation events end up beyond the outbox (Kafka), when the feed has one. */
  moderationEvents?: () => Promise<Array<{ type: string; payload: Record<string, unknown> }>>;
}

/**
 * Moderation and analytics end to end, on whichever feed the fixture's server
 * runs its consumers (the outbox in-process, or Kafka). The first account
 * registered against the fixture's fresh database is the operator.
 */
export function moderationSuite(fixture: () => ModerationFixture, options: { timeoutMs: number }): void {
  let server: TestServer, db: Database;
  let operator: TestUser, alice: TestUser, bob: TestUser, carol: TestUser;
  let group: { id: string };
  const wait = { timeoutMs: options.timeoutMs, intervalMs: 50 };

  beforeAll(async () => {
    ({ server, db } = fixture());
    operator = await register(server.url, 'op');
    alice = await register(server.url, 'alice');
    bob = await register(server.url, 'bob');
    carol = await register(server.url, 'carol');
    group = await createConversation(server.url, alice, [bob, operator], 'group');
  });

  const send = (user: TestUser, conversationId: string, text: string) =>
    api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, { token: user.token, body: textMessage(text) });
  const addRule = (body: Record<string, unknown>, user = operator) => api(server.url, 'POST', '/api/v1/admin/moderation/rules', { token: user.token, body });
  const queue = async (status = 'all') =>
    (await api<{ items: ModerationItemView[] }>(server.url, 'GET', `/api/v1/admin/moderation/queue?status=${status}&limit=200`, { token: operator.token })).body.items;
  const outboxEvents = (type: string) =>
    db.query<{ payload: Record<string, unknown> }>('SELECT payload FROM outbox WHERE type = $1', [type]);
  /** Whether the message is hidden for its members now (the state its hide / restore entries made). */
  const isHidden = async (messageId: string) =>
    (await db.query<{ hidden: boolean }>('SELECT hidden_at IS NOT NULL AS hidden FROM messages WHERE id = $1', [messageId]))[0]?.hidden === true;
  const moderator = { hidden: isHidden };

  it('makes the first account and ADMIN_USERS operators, and says so on their profile only', async () => {
    expect((await api(server.url, 'GET', '/api/v1/users/me', { token: operator.token })).body).toMatchObject({ id: operator.id, is_operator: true });
    expect((await api(server.url, 'GET', '/api/v1/users/me', { token: alice.token })).body).toMatchObject({ id: alice.id, is_operator: false });
    const configured = await api<{ user: { id: string }; access_token: string }>(server.url, 'POST', '/api/v1/auth/register', {
      body: { username: fixture().configuredAdmin, password: 'correct horse battery' },
    });
    expect((await api(server.url, 'GET', '/api/v1/users/me', { token: configured.body.access_token })).body).toMatchObject({ is_operator: true });
    expect((await api(server.url, 'GET', '/api/v1/admin/moderation/rules', { token: configured.body.access_token })).status).toBe(200);
  });

  it('answers 403 operator_only to non-operators on every operator route, changing nothing', async () => {
    const routes = server.parley.routes().filter((r) => r.url.startsWith('/api/v1/admin/'));
    expect(routes.length).toBeGreaterThanOrEqual(7);
    const id = crypto.randomUUID();
    for (const r of routes) {
      const path = r.url.replace(':id', id).replace(':userId', alice.id).replace(':kind', 'mute');
      const body = r.method === 'POST' ? (path.endsWith('/rules') ? { kind: 'word', pattern: 'sneaky' } : { action: 'ban' }) : undefined;
      const res = await api(server.url, r.method, path, { token: alice.token, body });
      expect(res.status, `${r.method} ${r.url}`).toBe(403);
      expect(res.body.error.code).toBe('operator_only');
    }
    const rules = await db.query("SELECT 1 FROM moderation_rules WHERE pattern = 'sneaky'");
    expect(rules).toHaveLength(0);
  });

  it('refuses malformed rules and rules that match everything with stable codes, storing nothing', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ kind: 'regex', pattern: '(' }, 400, 'invalid_rule'],
      [{ kind: 'regex', pattern: '(?<=a)b' }, 400, 'invalid_rule'],
      [{ kind: 'regex', pattern: '(a)\\1' }, 400, 'invalid_rule'],
      [{ kind: 'regex', pattern: '' }, 400, 'rule_matches_everything'],
      [{ kind: 'regex', pattern: '.*' }, 400, 'rule_matches_everything'],
      [{ kind: 'regex', pattern: '^' }, 400, 'rule_matches_everything'],
      [{ kind: 'regex', pattern: 'x|' }, 400, 'rule_matches_everything'],
      [{ kind: 'regex', pattern: '(?:)' }, 400, 'rule_matches_everything'],
      [{ kind: 'word', pattern: '   ' }, 400, 'rule_matches_everything'],
      [{ kind: 'domain', pattern: 'not a domain' }, 400, 'invalid_rule'],
      [{ kind: 'domain', pattern: '' }, 400, 'rule_matches_everything'],
      [{ kind: 'rate', max_messages: 5 }, 400, 'invalid_rule'],
      [{ kind: 'rate', max_messages: 0, window_seconds: 10 }, 400, 'validation_failed'],
      [{ kind: 'nonsense', pattern: 'x' }, 400, 'validation_failed'],
    ];
    const before = await db.query('SELECT id FROM moderation_rules');
    for (const [body, status, code] of cases) {
      const res = await addRule(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code, JSON.stringify(body)).toBe(code);
    }
    expect(await db.query('SELECT id FROM moderation_rules')).toHaveLength(before.length);
  });

  it('hides a message with a blocked word: hidden, a queue item, a moderation event; clean ones pass', async () => {
    expect((await addRule({ kind: 'word', pattern: 'Frobnicate' })).status).toBe(201);
    expect((await addRule({ kind: 'domain', pattern: 'spam.example' })).status).toBe(201);
    const clean = await send(bob, group.id, 'frobnication is a fine word');
    const bad = await send(bob, group.id, 'please FROBNICATE now!');
    const link = await send(bob, group.id, 'see https://cheap.spam.example/deal');
    expect([clean.status, bad.status, link.status]).toEqual([201, 201, 201]);
    await eventually(async () => expect((await moderator.hidden(bad.body.message_id)) && (await moderator.hidden(link.body.message_id))).toBe(true), wait);
    const items = await queue();
    expect(items.find((i) => i.message_id === bad.body.message_id)).toMatchObject({ source: 'rule', reason: 'word', author_id: bob.id, hidden: true, status: 'open' });
    expect(items.find((i) => i.message_id === link.body.message_id)).toMatchObject({ reason: 'domain' });
    const hiddenEvents = await outboxEvents('moderation.message_hidden');
    expect(hiddenEvents.map((e) => e.payload.message_id)).toEqual(expect.arrayContaining([bad.body.message_id, link.body.message_id]));
    const external = fixture().moderationEvents;
    if (external) {
      await eventually(async () => {
        const seen = await external();
        expect(seen.filter((e) => e.type === 'moderation.message_hidden').map((e) => e.payload.message_id)).toEqual(expect.arrayContaining([bad.body.message_id]));
      }, wait);
    }
    // Processed after the bad one on the same feed: the clean message was judged and let through.
    expect(await moderator.hidden(clean.body.message_id)).toBe(false);
    expect(items.some((i) => i.message_id === clean.body.message_id)).toBe(false);
  });

  it('matches a catastrophic regex in linear time: the consumer keeps going past a long hostile message', async () => {
    expect((await addRule({ kind: 'regex', pattern: '(a+)+$' })).status).toBe(201);
    const hostile = await send(carol, (await createConversation(server.url, carol, [alice])).id, 'a'.repeat(15_000) + '!');
    const direct = await createConversation(server.url, carol, [bob]);
    const hits = await send(carol, direct.id, 'aaaa');
    const after = await send(carol, direct.id, 'frobnicate after the hostile one');
    await eventually(async () => expect((await moderator.hidden(after.body.message_id)) && (await moderator.hidden(hits.body.message_id))).toBe(true), wait);
    expect(await moderator.hidden(hostile.body.message_id)).toBe(false);
  });

  it('queues reports (members only, once each); confirming hides the message, an operator restore shows it again', async () => {
    const msg = await send(bob, group.id, 'an ordinary but annoying message');
    const report = await api<ModerationItemView>(server.url, 'POST', `/api/v1/conversations/${group.id}/messages/${msg.body.seq}/report`, {
      token: alice.token,
      body: { note: 'annoying' },
    });
    expect(report.status).toBe(201);
    expect(report.body).toMatchObject({ source: 'report', reporter_id: alice.id, author_id: bob.id, hidden: false, status: 'open' });
    const again = await api(server.url, 'POST', `/api/v1/conversations/${group.id}/messages/${msg.body.seq}/report`, { token: alice.token, body: {} });
    expect([again.status, again.body.error.code]).toEqual([409, 'already_reported']);
    const outsider = await api(server.url, 'POST', `/api/v1/conversations/${group.id}/messages/${msg.body.seq}/report`, { token: carol.token, body: {} });
    expect([outsider.status, outsider.body.error.code]).toEqual([404, 'not_found']);
    // The operator's queue shows the message text, the author and who reported it.
    expect((await queue('open')).find((i) => i.id === report.body.id)).toMatchObject({
      message_text: 'an ordinary but annoying message', author_username: bob.username, reporter_username: alice.username, note: 'annoying',
    });
    expect((await outboxEvents('moderation.message_reported')).some((e) => e.payload.item_id === report.body.id)).toBe(true);

    // Confirming a report hides the message; restoring shows it again.
    const confirm = await api<ModerationItemView>(server.url, 'POST', `/api/v1/admin/moderation/queue/${report.body.id}/actions`, { token: operator.token, body: { action: 'confirm' } });
    expect(confirm.body).toMatchObject({ status: 'confirmed', hidden: true, resolved_by: operator.id });
    expect(await moderator.hidden(msg.body.message_id)).toBe(true);
    const restore = await api<ModerationItemView>(server.url, 'POST', `/api/v1/admin/moderation/queue/${report.body.id}/actions`, { token: operator.token, body: { action: 'restore' } });
    expect(restore.body).toMatchObject({ status: 'restored', hidden: false });
    expect(await moderator.hidden(msg.body.message_id)).toBe(false);
    expect((await outboxEvents('moderation.message_restored')).some((e) => e.payload.message_id === msg.body.message_id)).toBe(true);
  });

  it("refuses a muted user's sends with `muted` on REST and WS, and allows them again after unmute and after expiry", async () => {
    const dave = await register(server.url, 'dave');
    const conv = await createConversation(server.url, dave, [alice]);
    const first = await send(dave, conv.id, 'frobnicate!');
    const item = await eventually(async () => {
      const found = (await queue()).find((i) => i.message_id === first.body.message_id);
      expect(found).toBeDefined();
      return found!;
    }, wait);
    const mute = await api(server.url, 'POST', `/api/v1/admin/moderation/queue/${item.id}/actions`, { token: operator.token, body: { action: 'mute', duration_seconds: 3600 } });
    expect(mute.body.status).toBe('muted');
    const rest = await send(dave, conv.id, 'hello?');
    expect([rest.status, rest.body.error.code]).toEqual([403, 'muted']);
    expect(rest.body.error.retry_after).toBeGreaterThan(3500);
    const socket = await connect(server, dave);
    try {
      const frame = await sendMessage(socket, conv.id, 'hello over ws?');
      expect(frame).toMatchObject({ type: 'error', code: 'muted' });
      const [count] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND kind = 'message'", [conv.id]);
      expect(count!.n).toBe(1);
      expect((await outboxEvents('moderation.action_taken')).some((e) => e.payload.user_id === dave.id && e.payload.action === 'mute')).toBe(true);

      const lifted = await api(server.url, 'DELETE', `/api/v1/admin/moderation/sanctions/${dave.id}/mute`, { token: operator.token });
      expect(lifted.status).toBe(204);
      expect(await sendMessage(socket, conv.id, 'back again')).toMatchObject({ type: 'ack' });

      // A mute that runs out: here, moved into the past in the database (another instance's view of time passing).
      await api(server.url, 'POST', `/api/v1/admin/moderation/queue/${item.id}/actions`, { token: operator.token, body: { action: 'mute', duration_seconds: 60 } });
      expect((await send(dave, conv.id, 'muted again?')).body.error.code).toBe('muted');
      await db.query("UPDATE user_sanctions SET until = now() - interval '1 second' WHERE user_id = $1", [dave.id]);
      await eventually(async () => expect((await send(dave, conv.id, 'expired')).status).toBe(201), wait);
    } finally {
      socket.close();
    }
  });

  it('bans: sends refused with `banned`, login refused with `banned`', async () => {
    const eve = await register(server.url, 'eve');
    const conv = await createConversation(server.url, eve, [alice]);
    const msg = await send(eve, conv.id, 'plain');
    const report = await api<ModerationItemView>(server.url, 'POST', `/api/v1/conversations/${conv.id}/messages/${msg.body.seq}/report`, { token: alice.token, body: {} });
    const ban = await api(server.url, 'POST', `/api/v1/admin/moderation/queue/${report.body.id}/actions`, { token: operator.token, body: { action: 'ban' } });
    expect(ban.body.status).toBe('banned');
    expect((await send(eve, conv.id, 'still here')).body.error.code).toBe('banned');
    const login = await api(server.url, 'POST', '/api/v1/auth/login', { body: { username: eve.username, password: 'correct horse battery' } });
    expect([login.status, login.body.error.code]).toEqual([403, 'banned']);
    const refresh = await api(server.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: eve.refreshToken } });
    expect(refresh.status).toBe(401);
  });

  it('aggregates a known sequence of events into daily figures', async () => {
    const direct = await createConversation(server.url, alice, [carol]);
    const day = '2001-02-03';
    const at = `${day}T12:00:00Z`;
    const insert = (type: string, topic: string, key: string, payload: Record<string, unknown>) =>
      db.query(
        `INSERT INTO outbox (event_id, type, schema_version, topic, key, occurred_at, payload) VALUES (gen_random_uuid(), $1, 1, $2, $3, $4, $5::jsonb)`,
        [type, topic, key, at, JSON.stringify(payload)],
      );
    const message = (conversationId: string, sender: string) =>
      insert('message.created', 'messages', conversationId, {
        conversation_id: conversationId, seq: 1, message_id: crypto.randomUUID(), sender_id: sender, message: textMessage('hi'), created_at: at,
      });
    await message(group.id, alice.id);
    await message(group.id, alice.id);
    await message(group.id, bob.id);
    await message(direct.id, alice.id);
    await message(direct.id, carol.id);
    for (const name of ['n1', 'n2']) {
      const id = crypto.randomUUID();
      await insert('user.registered', 'users', id, { user_id: id, username: uniqueName(name), display_name: name });
    }
    const call = (durationMs: number) =>
      insert('call.ended', 'calls', direct.id, {
        conversation_id: direct.id, seq: 1, call_id: crypto.randomUUID(), caller_id: alice.id, invitee_id: carol.id, actor_id: alice.id, reason: 'hangup', duration_ms: durationMs,
      });
    await call(90_000);
    await call(0);
    await eventually(async () => {
      const res = await api(server.url, 'GET', `/api/v1/admin/analytics/daily?from=2001-02-02&to=${day}`, { token: operator.token });
      expect(res.status).toBe(200);
      expect(res.body.days).toEqual([
        { day: '2001-02-02', messages: { direct: 0, group: 0 }, active_users: 0, new_users: 0, calls: 0, call_minutes: 0 },
        { day, messages: { direct: 2, group: 3 }, active_users: 3, new_users: 2, calls: 2, call_minutes: 1.5 },
      ]);
    }, wait);
    const bad = await api(server.url, 'GET', '/api/v1/admin/analytics/daily?from=2001-02-30', { token: operator.token });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'validation_failed']);
  });

  hidingSuite(() => ({ server, db, operator }), options);
}
