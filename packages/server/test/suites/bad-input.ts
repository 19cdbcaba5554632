import { beforeAll, expect, it } from 'vitest';
import type { Cluster } from '../support/cluster.ts';
import { api, connect, createConversation, register, sendMessage, type TestServer } from '../support/harness.ts';

/** Malformed and hostile input: each gets its error, changes nothing, and nobody else notices. */
export function badInputSuite(cluster: Cluster): void {
  let a: TestServer;
  beforeAll(() => ({ a } = cluster));

  it('answers bad frames with error frames and keeps the socket open', async () => {
    const alice = await register(a.url);
    const bob = await register(a.url);
    const conv = await createConversation(a.url, alice, [bob]);
    const s = await connect(a, alice);
    const errorAfter = async (raw: string) => {
      const before = s.frames.length;
      s.sendRaw(raw);
      const f = await s.waitFor((x) => x.type === 'error');
      expect(s.frames.length).toBeGreaterThan(before);
      return f;
    };
    expect(await errorAfter('{not json')).toMatchObject({ code: 'malformed_json' });
    expect(await errorAfter('[1,2,3]')).toMatchObject({ code: 'validation_failed' });
    expect(await errorAfter('"just a string"')).toMatchObject({ code: 'validation_failed' });
    expect(await errorAfter('{"type":"launch_missiles","id":"x1"}')).toMatchObject({ code: 'unknown_type', id: 'x1' });
    expect(await errorAfter('{"id":"x2"}')).toMatchObject({ code: 'unknown_type', id: 'x2' });
    expect(await errorAfter(JSON.stringify({ type: 'send_message', id: 'x3', conversation_id: conv.id }))).toMatchObject({
      code: 'validation_failed',
      id: 'x3',
    });
    expect(
      await errorAfter(JSON.stringify({ type: 'send_message', id: 'x4', conversation_id: 'not-a-uuid', message: { type: 'text', text: 'hi', client_msg_id: 'c' } })),
    ).toMatchObject({ code: 'validation_failed', id: 'x4' });
    expect(
      await errorAfter(JSON.stringify({ type: 'send_message', id: 'x5', conversation_id: conv.id, message: { type: 'text', text: 'hi', client_msg_id: 'c', extra: 1 } })),
    ).toMatchObject({ code: 'validation_failed', message: expect.stringContaining('message.extra') });
    expect(
      await errorAfter(JSON.stringify({ type: 'send_message', id: 'x6', conversation_id: conv.id, message: { type: 'text', text: '', client_msg_id: 'c' } })),
    ).toMatchObject({ code: 'validation_failed' });
    expect(await errorAfter(JSON.stringify({ type: 'sync', id: 'x7', cursors: { [conv.id]: -5 } }))).toMatchObject({ code: 'validation_failed' });
    expect(await errorAfter(JSON.stringify({ type: 'read', id: 'x8', conversation_id: conv.id, seq: 'many' }))).toMatchObject({ code: 'validation_failed' });
    s.sendRaw(Buffer.from([1, 2, 3]));
    expect(await s.waitFor((x) => x.type === 'error')).toMatchObject({ code: 'validation_failed' });

    // Still open and served; nothing was stored by any of it.
    expect(await s.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    const ack = await sendMessage(s, conv.id, 'still here');
    expect(ack).toMatchObject({ type: 'ack', seq: 1 });
    s.close();
  });

  it('closes only the socket that sends a 2 MiB frame, with 1009', async () => {
    const alice = await register(a.url);
    const bob = await register(a.url);
    const conv = await createConversation(a.url, alice, [bob]);
    const big = await connect(a, alice);
    const other = await connect(a, bob);
    big.sendRaw(JSON.stringify({ type: 'send_message', conversation_id: conv.id, message: { type: 'text', text: 'x'.repeat(2 * 1024 * 1024), client_msg_id: 'big' } }));
    expect(await big.closed()).toBe(1009);

    const otherAck = await sendMessage(other, conv.id, 'the server is fine');
    expect(otherAck).toMatchObject({ type: 'ack', seq: 1 });
    const fresh = await connect(a, alice);
    expect(await fresh.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    other.close();
    fresh.close();
  });

  it('rejects oversized and malformed REST input with stable codes', async () => {
    const longName = await api(a.url, 'POST', '/api/v1/auth/register', { body: { username: 'u'.repeat(10_000), password: 'long enough pw' } });
    expect(longName).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
    const huge = await api(a.url, 'POST', '/api/v1/auth/register', { body: { username: 'hugeuser', password: 'p'.repeat(200_000) } });
    expect(huge).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    const badJson = await api(a.url, 'POST', '/api/v1/auth/login', { rawBody: '{"username": ' });
    expect(badJson).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
    const sqlName = await api(a.url, 'POST', '/api/v1/auth/register', { body: { username: "x'; DROP TABLE users;--", password: 'long enough pw' } });
    expect(sqlName).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
    const extra = await api(a.url, 'POST', '/api/v1/auth/register', { body: { username: 'extrafield', password: 'long enough pw', admin: true } });
    expect(extra.status).toBe(400);

    const user = await register(a.url);
    const badId = await api(a.url, 'GET', '/api/v1/conversations/not-a-uuid/messages', { token: user.token });
    expect(badId).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } });
    const nowhere = await api(a.url, 'GET', '/api/v1/nowhere', { token: user.token });
    expect(nowhere).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const noAuth = await api(a.url, 'GET', '/api/v1/conversations');
    expect(noAuth).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
  });

  it('never writes tokens, passwords or message text to the logs', async () => {
    const alice = await register(a.url);
    const bob = await register(a.url);
    const conv = await createConversation(a.url, alice, [bob]);
    const s = await connect(a, alice);
    const secretText = `secret-text-${crypto.randomUUID()}`;
    await sendMessage(s, conv.id, secretText);
    const ticket = await api(a.url, 'POST', '/api/v1/auth/ws-ticket', { token: alice.token });
    await fetch(`${a.url}/api/v1/users/me?ticket=${ticket.body.ticket}`, { headers: { authorization: `Bearer ${alice.token}` } });
    await api(a.url, 'POST', '/api/v1/auth/login', { body: { username: alice.username, password: 'wrong-password-xyz' } });
    s.close();

    const logs = [...cluster.a.logs, ...cluster.b.logs].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).toContain('/api/v1/users/me'); // requests are logged…
    for (const secret of [alice.token, alice.refreshToken, ticket.body.ticket, secretText, 'wrong-password-xyz', 'correct horse battery']) {
      expect(logs).not.toContain(secret); // …without their secrets
    }
  });
}
