import { createHmac } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { verifyEventSignature } from '@parley/sdk/node';
import type { EventDeliveryView } from '@parley/protocol';
import { api, createConversation, register, textMessage, type TestServer, type TestUser } from '../support/harness.ts';
import { eventually } from '../support/eventually.ts';
import { EventReceiver, type ReceivedDelivery } from '../support/event-receiver.ts';
import type { Database } from '../../src/store/database.ts';

export interface EventEndpointsFixture {
  /** Runs with INTEGRATION_ALLOW_PRIVATE_URLS=on (the receivers listen on 127.0.0.1) and fast retries, at most 3 attempts. */
  server: TestServer;
  /** The same database, the flag off: production's URL checks. */
  strict: TestServer;
  db: Database;
}

/** The documented scheme (docs/bots.md), written out: HMAC-SHA256 of `<t>.<body>`, hex, in `t=…,v1=…`. */
function verifiedByHand(delivery: ReceivedDelivery, secret: string, body = delivery.body): boolean {
  const header = String(delivery.headers['parley-signature']);
  const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1];
  if (!t || !v1 || t !== delivery.headers['parley-timestamp']) return false;
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex') === v1;
}

/**
 * Outgoing event deliveries to operators' endpoints, end to end: registered
 * over REST, fed from the event stream, POSTed signed to a real local HTTP
 * receiver, retried, logged. The first account registered against the
 * fixture's fresh database is the operator.
 */
export function eventEndpointsSuite(fixture: () => EventEndpointsFixture): void {
  let server: TestServer, strict: TestServer, db: Database;
  let operator: TestUser, alice: TestUser, bob: TestUser;
  const wait = { timeoutMs: 15_000, intervalMs: 25 };

  beforeAll(async () => {
    ({ server, strict, db } = fixture());
    operator = await register(server.url, 'op');
    alice = await register(server.url, 'alice');
    bob = await register(server.url, 'bob');
  });

  const createEndpoint = (body: Record<string, unknown>, user = operator, on = server) =>
    api(on.url, 'POST', '/api/v1/admin/event-endpoints', { token: user.token, body });
  const deliveries = async (endpointId: string) =>
    (await api<{ deliveries: EventDeliveryView[] }>(server.url, 'GET', `/api/v1/admin/event-endpoints/${endpointId}/deliveries`, { token: operator.token })).body
      .deliveries;
  const send = (conversationId: string, text: string, user = alice) =>
    api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, { token: user.token, body: textMessage(text) });

  it('delivers the events an endpoint asked for, signed: verifiable by the documented scheme and the SDK helper; a tampered body is not', async () => {
    await using receiver = await EventReceiver.start();
    const created = await createEndpoint({ url: receiver.url, event_types: ['message.created'], description: 'ci' });
    expect(created.status).toBe(201);
    const { secret, id } = created.body;
    expect(secret).toMatch(/^pes_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ url: receiver.url, event_types: ['message.created'], conversation_ids: null, enabled: true, created_by: operator.id });
    // Shown once: never listed, never in the log.
    const listed = await api(server.url, 'GET', '/api/v1/admin/event-endpoints', { token: operator.token });
    expect(listed.body.endpoints.map((e: { id: string }) => e.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(server.logs.join('\n')).not.toContain(secret);

    const conv = await createConversation(server.url, alice, [bob], 'group');
    const sent = await send(conv.id, 'deploy finished');
    expect(sent.status).toBe(201);
    const delivery = await eventually(() => {
      const got = receiver.ofType('message.created').find((r) => JSON.parse(r.body).payload.message_id === sent.body.message_id);
      expect(got).toBeDefined();
      return got!;
    }, wait);
    const event = JSON.parse(delivery.body);
    expect(event).toMatchObject({ type: 'message.created', schema_version: 1, key: conv.id, payload: { conversation_id: conv.id, seq: sent.body.seq } });
    expect(delivery.headers['parley-event-id']).toBe(event.event_id);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(Math.abs(Number(delivery.headers['parley-timestamp']) - Date.now() / 1000)).toBeLessThan(300);

    expect(verifiedByHand(delivery, secret)).toBe(true);
    expect(verifyEventSignature({ body: delivery.body, header: delivery.headers['parley-signature'], secret })).toBe(true);
    expect(verifyEventSignature({ body: Buffer.from(delivery.body), header: delivery.headers['parley-signature'], secret })).toBe(true);
    const tampered = delivery.body.replace('deploy finished', 'deploy FAILED');
    expect(tampered).not.toBe(delivery.body);
    expect(verifiedByHand(delivery, secret, tampered)).toBe(false);
    expect(verifyEventSignature({ body: tampered, header: delivery.headers['parley-signature'], secret })).toBe(false);
    expect(verifyEventSignature({ body: delivery.body, header: delivery.headers['parley-signature'], secret: 'pes_wrong' })).toBe(false);
    // Too old to trust: a replay.
    expect(verifyEventSignature({ body: delivery.body, header: delivery.headers['parley-signature'], secret, now: Date.now() + 3_600_000 })).toBe(false);

    // Only what it asked for: the group's conversation.created went nowhere near it.
    expect(receiver.received.every((r) => r.headers['parley-event-type'] === 'message.created')).toBe(true);
    const log = await eventually(async () => {
      const [d] = (await deliveries(id)).filter((x) => x.event_id === event.event_id);
      expect(d?.status).toBe('delivered');
      return d!;
    }, wait);
    expect(log).toMatchObject({ event_type: 'message.created', attempts: 1, last_status_code: 204, last_error: null, next_attempt_at: null });
    expect(log.attempt_log).toEqual([expect.objectContaining({ attempt: 1, status_code: 204, error: null })]);
    expect(JSON.stringify(log)).not.toContain('deploy finished');
  });

  it('filters by event type and by conversation', async () => {
    await using receiver = await EventReceiver.start();
    const convA = await createConversation(server.url, alice, [bob], 'group');
    const convB = await createConversation(server.url, alice, [bob], 'group');
    const only = await createEndpoint({ url: `${receiver.url}/a`, event_types: ['message.created', 'conversation.members_added'], conversation_ids: [convA.id] });
    const groups = await createEndpoint({ url: `${receiver.url}/groups`, event_types: ['conversation.created'] });
    expect([only.status, groups.status]).toEqual([201, 201]);
    const convC = await createConversation(server.url, bob, [alice], 'group');
    const inA = await send(convA.id, 'in a');
    const inB = await send(convB.id, 'in b');
    await eventually(() => expect(receiver.ofType('conversation.created').map((r) => JSON.parse(r.body).payload.conversation_id)).toContain(convC.id), wait);
    await eventually(() => expect(receiver.ofType('message.created').map((r) => JSON.parse(r.body).payload.message_id)).toContain(inA.body.message_id), wait);
    // convB's message was handled by the same consumer batch or before the next conversation event: wait for a later one to be sure it was skipped.
    const later = await send(convA.id, 'later in a');
    await eventually(() => expect(receiver.ofType('message.created').map((r) => JSON.parse(r.body).payload.message_id)).toContain(later.body.message_id), wait);
    const messageIds = receiver.ofType('message.created').map((r) => JSON.parse(r.body).payload.message_id);
    expect(messageIds).not.toContain(inB.body.message_id);
    expect(receiver.received.filter((r) => r.headers['parley-event-type'] === 'user.registered')).toEqual([]);
  });

  it('retries an endpoint that fails, with backoff, then delivers; the log shows every attempt', async () => {
    await using receiver = await EventReceiver.start();
    receiver.failFirst = 2;
    const { body: endpoint } = await createEndpoint({ url: receiver.url, event_types: ['message.created'] });
    const conv = await createConversation(server.url, alice, [bob], 'group');
    const sent = await send(conv.id, 'flaky');
    const log = await eventually(async () => {
      const [d] = await deliveries(endpoint.id);
      expect(d?.status).toBe('delivered');
      return d!;
    }, wait);
    expect(log.attempts).toBe(3);
    expect(log.attempt_log.map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, 'http_status'],
      [2, 500, 'http_status'],
      [3, 204, null],
    ]);
    // Every attempt is the same event, each signed afresh with its own timestamp.
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 204]);
    expect(new Set(receiver.received.map((r) => r.headers['parley-event-id'])).size).toBe(1);
    for (const r of receiver.received) expect(verifyEventSignature({ body: r.body, header: r.headers['parley-signature'], secret: endpoint.secret })).toBe(true);
    expect(JSON.parse(receiver.received[2]!.body).payload.message_id).toBe(sent.body.message_id);
    // Delivered: the stored body is gone.
    const [row] = await db.query<{ body: string | null }>('SELECT body FROM event_deliveries WHERE id = $1', [log.id]);
    expect(row!.body).toBeNull();
  });

  it('marks a delivery failed once out of attempts, and says why', async () => {
    await using receiver = await EventReceiver.start();
    receiver.failFirst = 1_000;
    const { body: endpoint } = await createEndpoint({ url: receiver.url, event_types: ['message.created'] });
    const conv = await createConversation(server.url, alice, [bob], 'group');
    await send(conv.id, 'never accepted');
    const log = await eventually(async () => {
      const [d] = await deliveries(endpoint.id);
      expect(d?.status).toBe('failed');
      return d!;
    }, wait);
    expect(log).toMatchObject({ attempts: 3, last_status_code: 500, last_error: 'http_status', next_attempt_at: null, delivered_at: null });
    expect(log.attempt_log).toHaveLength(3);
    expect(receiver.received).toHaveLength(3);
  });

  it('a disabled endpoint gets nothing until enabled; a deleted one gets nothing more, and its log is gone', async () => {
    await using receiver = await EventReceiver.start();
    await using control = await EventReceiver.start();
    const { body: paused } = await createEndpoint({ url: `${receiver.url}/paused`, event_types: ['message.created'] });
    const { body: deleted } = await createEndpoint({ url: `${receiver.url}/deleted`, event_types: ['message.created'] });
    await createEndpoint({ url: control.url, event_types: ['message.created'] });
    const disabled = await api(server.url, 'PATCH', `/api/v1/admin/event-endpoints/${paused.id}`, { token: operator.token, body: { enabled: false } });
    expect(disabled.body.enabled).toBe(false);
    expect((await api(server.url, 'DELETE', `/api/v1/admin/event-endpoints/${deleted.id}`, { token: operator.token })).status).toBe(204);
    expect((await api(server.url, 'DELETE', `/api/v1/admin/event-endpoints/${deleted.id}`, { token: operator.token })).body.error.code).toBe('endpoint_not_found');
    expect((await api(server.url, 'GET', `/api/v1/admin/event-endpoints/${deleted.id}/deliveries`, { token: operator.token })).status).toBe(404);

    const conv = await createConversation(server.url, alice, [bob], 'group');
    const sent = await send(conv.id, 'while paused');
    // The control endpoint got it: the event went through the consumer.
    await eventually(() => expect(control.ofType('message.created').map((r) => JSON.parse(r.body).payload.message_id)).toContain(sent.body.message_id), wait);
    expect(receiver.received).toEqual([]);
    expect(await deliveries(paused.id)).toEqual([]);

    await api(server.url, 'PATCH', `/api/v1/admin/event-endpoints/${paused.id}`, { token: operator.token, body: { enabled: true } });
    const after = await send(conv.id, 'resumed');
    await eventually(() => expect(receiver.ofType('message.created').map((r) => JSON.parse(r.body).payload.message_id)).toContain(after.body.message_id), wait);
    // Only what came after it was enabled again.
    expect(receiver.received).toHaveLength(1);
  });

  it('refuses non-operators (403 operator_only) and stores nothing', async () => {
    await using receiver = await EventReceiver.start();
    const refused = await createEndpoint({ url: receiver.url, event_types: ['message.created'] }, alice);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'operator_only' } } });
    expect((await api(server.url, 'GET', '/api/v1/admin/event-endpoints', { token: alice.token })).status).toBe(403);
    const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM event_endpoints WHERE url LIKE $1', [`${receiver.url}%`])) as [{ n: number }];
    expect(n).toBe(0);
  });

  it('refuses bad URLs and bad event types with stable codes, storing nothing', async () => {
    const before = await db.query('SELECT id FROM event_endpoints');
    const types = { event_types: ['message.created'] };
    for (const url of [
      'http://example.com/hook', // not https
      'https://127.0.0.1/hook',
      'https://[::1]/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::ffff:127.0.0.1]/hook',
      'https://localhost:8443/hook',
      'https://user:pw@example.com/hook',
      'not a url',
      'ftp://example.com/',
    ]) {
      const res = await createEndpoint({ url, ...types }, operator, strict);
      expect({ url, status: res.status, code: res.body.error?.code }).toEqual({ url, status: 400, code: 'invalid_endpoint_url' });
    }
    for (const body of [
      { url: 'https://example.com/hook', event_types: ['message.exploded'] },
      { url: 'https://example.com/hook', event_types: [] },
      { url: 'https://example.com/hook' },
      { url: 'https://example.com/hook', event_types: ['message.created'], conversation_ids: ['nope'] },
      { url: 'https://example.com/hook', event_types: ['message.created'], secret: 'mine' },
    ]) {
      expect((await createEndpoint(body, operator, strict)).body.error.code).toBe('validation_failed');
    }
    expect(await db.query('SELECT id FROM event_endpoints')).toEqual(before);
  });
}
