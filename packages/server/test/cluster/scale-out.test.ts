import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/databases.ts';
import { TEST_REDIS_URL, testPrefix } from '../support/redis.ts';
import { REPO_ROOT, spawnInstance, startNginx, which, type Instance, type Nginx } from '../support/processes.ts';
import { api, createConversation, register, sendMessage, textMessage, type TestUser } from '../support/harness.ts';
import { TestSocket } from '../support/test-socket.ts';
import { eventually } from '../support/eventually.ts';

const NGINX = process.env.NGINX_BIN ?? which('nginx') ?? (which('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null);
const missing = [!TEST_DATABASE_URL && 'TEST_DATABASE_URL (PostgreSQL)', !TEST_REDIS_URL && 'TEST_REDIS_URL (Redis)', !NGINX && 'nginx (NGINX_BIN or on PATH)'].filter(Boolean);

async function metric(instance: Instance, name: string): Promise<number> {
  const text = await (await fetch(`${instance.metricsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

const connectTo = (wsUrl: string, user: TestUser) => TestSocket.open(wsUrl, user.token);

/**
 * Three real server processes sharing PostgreSQL and Redis behind a real
 * nginx, started together on an empty database as Kubernetes would start them.
 */
const suite = () => {
  let database: TestDatabase;
  let instances: Instance[];
  let nginx: Nginx;

  beforeAll(async () => {
    database = await postgresDatabase({ migrate: false });
    const env = { DATABASE_URL: database.url!, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: testPrefix(), PRESENCE_TTL: '6', METRICS_PORT: '0' };
    instances = await Promise.all([0, 1, 2].map((i) => spawnInstance({ ...env, INSTANCE_ID: `node-${i}` })));
    nginx = await startNginx(NGINX!, instances.map((i) => i.port));
  }, 120_000);
  afterAll(async () => {
    await nginx?.stop();
    for (const i of instances ?? []) i.kill('SIGKILL');
    await Promise.all((instances ?? []).map((i) => i.exited));
    await database?.drop();
  });

  it('migrated once and created one signing key when three instances started together on an empty database', async () => {
    const migrations = readdirSync(join(REPO_ROOT, 'packages/server/migrations')).filter((f) => f.endsWith('.sql'));
    const applied = await database.db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(applied.map((r) => r.name)).toEqual(migrations.sort());
    const keys = await database.db.query('SELECT kid FROM signing_keys');
    expect(keys).toHaveLength(1);
  });

  it('lets users on different instances exchange messages, receipts, typing and presence', async () => {
    const [a, b, c] = instances as [Instance, Instance, Instance];
    const alice = await register(a.url, 'alice');
    const bob = await register(b.url, 'bob');
    const conv = await createConversation(c.url, alice, [bob]);

    const bobSocket = await connectTo(b.wsUrl, bob);
    const presence = await bobSocket.request({ type: 'presence_subscribe', user_ids: [alice.id] });
    expect(presence).toMatchObject({ status: 'offline' });
    const aliceSocket = await connectTo(a.wsUrl, alice);
    await bobSocket.waitFor((f) => f.type === 'presence' && f.user_id === alice.id && f.status === 'online');

    const ack = await sendMessage(aliceSocket, conv.id, 'across instances');
    await bobSocket.next((f) => f.type === 'message' && f.message_id === ack.message_id);
    await bobSocket.request({ type: 'read', conversation_id: conv.id, seq: ack.seq });
    await aliceSocket.next((f) => f.type === 'receipt' && f.user_id === bob.id && f.read_seq === ack.seq);
    bobSocket.sendRaw(JSON.stringify({ type: 'typing', conversation_id: conv.id, state: 'start' }));
    await aliceSocket.next((f) => f.type === 'typing' && f.user_id === bob.id);

    // Through nginx as well: a third device of alice's lands on whichever instance.
    const viaNginx = await connectTo(nginx.wsUrl, alice);
    const second = await sendMessage(viaNginx, conv.id, 'through nginx');
    await bobSocket.next((f) => f.type === 'message' && f.message_id === second.message_id);
    await aliceSocket.next((f) => f.type === 'message' && f.message_id === second.message_id);

    aliceSocket.close();
    viaNginx.close();
    await bobSocket.waitFor((f) => f.type === 'presence' && f.user_id === alice.id && f.status === 'offline');
    bobSocket.close();
  });

  it('signals a call across instances with the call state in Redis: ring, answer elsewhere, relay, hang up', async () => {
    const [a, b, c] = instances as [Instance, Instance, Instance];
    const [alice, bob] = await Promise.all([register(a.url), register(b.url)]);
    const conv = await createConversation(a.url, alice, [bob]);
    const [caller, phone, laptop] = [await connectTo(a.wsUrl, alice), await connectTo(b.wsUrl, bob), await connectTo(c.wsUrl, bob)];
    const offer = { type: 'offer', sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n' };
    caller.sendRaw(JSON.stringify({ type: 'call_invite', conversation_id: conv.id, call_id: 'x-1', party_id: 'a', lifetime: 30_000, offer }));
    await phone.next((f) => f.type === 'call_invite' && f.call_id === 'x-1');
    await laptop.next((f) => f.type === 'call_invite' && f.call_id === 'x-1');
    // Both of bob's devices answer at once: exactly one wins.
    const answer = (s: TestSocket, party: string) => s.request({ type: 'call_answer', call_id: 'x-1', party_id: party, answer: { type: 'answer', sdp: 'v=0\r\n' } }, 3_000).catch(() => null);
    const [r1, r2] = await Promise.all([answer(phone, 'phone'), answer(laptop, 'laptop')]);
    const answered = await caller.next((f) => f.type === 'call_answer' && f.call_id === 'x-1');
    expect([r1, r2].filter((r) => r?.type === 'error')).toHaveLength(1);
    expect(['phone', 'laptop']).toContain(answered.party_id);
    caller.sendRaw(JSON.stringify({ type: 'call_hangup', call_id: 'x-1', party_id: 'a' }));
    await phone.next((f) => f.type === 'call_hangup' && f.call_id === 'x-1' && f.reason === 'user_hangup');
    [caller, phone, laptop].forEach((s) => s.close());
  });

  it('never sends an instance pub/sub traffic for users and rooms it has no sockets for', async () => {
    const [a, b, c] = instances as [Instance, Instance, Instance];
    const users = await Promise.all(Array.from({ length: 4 }, () => register(a.url)));
    const group = await createConversation(a.url, users[0]!, users.slice(1), 'group');
    const direct = await createConversation(a.url, users[0]!, [users[1]!]);
    const sockets = await Promise.all(users.map((u, i) => connectTo((i % 2 ? b : a).wsUrl, u)));
    const before = await metric(c, 'parley_bus_received_total');

    for (let i = 0; i < 20; i++) {
      await sendMessage(sockets[i % 4]!, group.id, `group ${i}`);
      await sendMessage(sockets[i % 2]!, direct.id, `direct ${i}`);
    }
    await sockets[1]!.request({ type: 'read', conversation_id: group.id, seq: 5 });
    await eventually(() => expect(sockets[3]!.messages(group.id)).toHaveLength(20));

    expect(await metric(c, 'parley_bus_received_total')).toBe(before);
    expect(await metric(a, 'parley_bus_received_total')).toBeGreaterThan(0);
    for (const i of instances) expect(await metric(i, 'parley_bus_unrouted_total')).toBe(0);
    sockets.forEach((s) => s.close());
  });

  it('resumes through nginx after the sender\'s instance is SIGKILLed mid-stream: every acked message once, in order', async () => {
    const [victim, survivor] = [instances[2]!, instances[1]!];
    const [sender, reader] = await Promise.all([register(survivor.url), register(survivor.url)]);
    const conv = await createConversation(survivor.url, sender, [reader]);
    const readerSocket = await connectTo(survivor.wsUrl, reader);

    // The sender keeps an outbox like the SDK: unacked sends are resent with the same client_msg_id.
    const outbox = Array.from({ length: 60 }, (_, i) => textMessage(`stream ${i}`, `stream-${i}`));
    const acked = new Map<string, number>();
    let socket = await connectTo(victim.wsUrl, sender);
    let killed = false;
    while (acked.size < outbox.length) {
      const next = outbox.find((m) => !acked.has(m.client_msg_id))!;
      if (acked.size === 25 && !killed) {
        killed = true;
        victim.kill('SIGKILL');
      }
      try {
        const reply = await socket.request({ type: 'send_message', conversation_id: conv.id, message: next }, 3_000);
        expect(reply.type).toBe('ack');
        acked.set(next.client_msg_id, reply.seq as number);
      } catch {
        socket = await eventually(() => connectTo(nginx.wsUrl, sender), { timeoutMs: 15_000, intervalMs: 100 });
      }
    }
    expect(killed).toBe(true);
    await victim.exited;

    // Stored exactly once each, dense and in send order.
    const history = await api(survivor.url, 'GET', `/api/v1/conversations/${conv.id}/messages?after_seq=0&limit=200`, { token: reader.token });
    const stored = history.body.messages as Array<{ seq: number; message: { client_msg_id: string } }>;
    expect(stored.map((m) => m.message.client_msg_id)).toEqual(outbox.map((m) => m.client_msg_id));
    expect(stored.map((m) => m.seq)).toEqual(outbox.map((_, i) => i + 1));
    for (const m of outbox) expect(acked.get(m.client_msg_id)).toBe(stored.find((s) => s.message.client_msg_id === m.client_msg_id)!.seq);

    // The reader, on a surviving instance, has or can fill every one of them.
    const seen = new Set(readerSocket.messages(conv.id).map((m) => m.seq as number));
    const synced = await readerSocket.request({ type: 'sync', cursors: { [conv.id]: 0 }, limit: 200 });
    expect(synced.limited).toBe(false);
    for (const m of readerSocket.messages(conv.id)) seen.add(m.seq as number);
    expect([...seen].sort((x, y) => x - y)).toEqual(outbox.map((_, i) => i + 1));
    readerSocket.close();
    socket.close();
  });

  it('closes sockets with 1012 on SIGTERM after answering in-flight sends, and exits cleanly', async () => {
    const instance = instances[0]!;
    const [alice, bob] = await Promise.all([register(instance.url), register(instance.url)]);
    const conv = await createConversation(instance.url, alice, [bob]);
    const socket = await connectTo(instance.wsUrl, alice);
    const sends = Array.from({ length: 10 }, (_, i) => sendMessage(socket, conv.id, `last words ${i}`).catch(() => null));
    instance.kill('SIGTERM');
    expect(await socket.closed()).toBe(1012);
    const replies = (await Promise.all(sends)).filter(Boolean);
    // Every send the server received before it stopped was answered, and stored.
    const stored = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conv.id]);
    expect(replies.every((r) => r!.type === 'ack')).toBe(true);
    expect(stored[0]!.n).toBe(replies.length);
    const exit = await instance.exited;
    expect(exit, instance.logs.filter((l) => !l.includes('"level":30')).join('\n')).toMatchObject({ code: 0 });
  });
};

if (missing.length === 0) describe('scale-out: three processes on PostgreSQL and Redis behind nginx', suite);
else describe.skip(`scale-out (skipped: needs ${missing.join(', ')})`, suite);
