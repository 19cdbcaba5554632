import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/databases.ts';
import { spawnInstance, startPrivateRedis, which, type Instance, type PrivateRedis } from '../support/processes.ts';
import { api, createConversation, register, sendMessage, textMessage } from '../support/harness.ts';
import { TestSocket } from '../support/test-socket.ts';
import { eventually } from '../support/eventually.ts';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? which('redis-server');
const missing = [!TEST_DATABASE_URL && 'TEST_DATABASE_URL (PostgreSQL)', !REDIS_SERVER && 'redis-server (REDIS_SERVER_BIN or on PATH)'].filter(Boolean);

/**
 * Redis is only the wake-up path: with it down, sends are still stored and
 * acked, sockets on the sender's instance still get them, nothing answers
 * 5xx; when it is back, cross-instance delivery resumes and clients fill the
 * gap from the database.
 */
const suite = () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    database = await postgresDatabase();
    redis = await startPrivateRedis(REDIS_SERVER!);
    const env = { DATABASE_URL: database.url!, REDIS_URL: redis.url };
    [a, b] = await Promise.all([spawnInstance({ ...env, INSTANCE_ID: 'a' }), spawnInstance({ ...env, INSTANCE_ID: 'b' })]);
  }, 120_000);
  afterAll(async () => {
    a?.kill('SIGKILL');
    b?.kill('SIGKILL');
    await Promise.all([a?.exited, b?.exited]);
    await redis?.stop();
    await database?.drop();
  });

  it('keeps storing and delivering locally while Redis is down, and catches up when it returns', async () => {
    const [x, y, z] = await Promise.all([register(a.url), register(a.url), register(b.url)]);
    const group = await createConversation(a.url, x, [y, z], 'group');
    const [xs, ys, zs] = [await TestSocket.open(a.wsUrl, x.token), await TestSocket.open(a.wsUrl, y.token), await TestSocket.open(b.wsUrl, z.token)];

    for (let i = 0; i < 3; i++) await sendMessage(xs, group.id, `before ${i}`);
    await eventually(() => expect(zs.messages(group.id)).toHaveLength(3));

    await redis.stop();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const ack = await sendMessage(xs, group.id, `during ${i}`);
      expect(ack.type).toBe('ack');
    }
    const rest = await api(b.url, 'POST', `/api/v1/conversations/${group.id}/messages`, { token: z.token, body: textMessage('z over REST during the outage') });
    statuses.push(rest.status);
    statuses.push((await api(a.url, 'GET', '/api/v1/conversations', { token: x.token })).status);
    statuses.push((await api(b.url, 'GET', `/api/v1/conversations/${group.id}/messages`, { token: z.token })).status);
    expect(statuses).toEqual([201, 200, 200]);
    // Same instance as the sender: delivered without Redis.
    await eventually(() => expect(ys.messages(group.id).filter((m) => String((m.message as { text: string }).text).startsWith('during'))).toHaveLength(10));

    await redis.start();
    // Once the instances have reconnected and resubscribed, live delivery crosses instances again.
    let n = 0;
    await eventually(
      async () => {
        const ack = await sendMessage(xs, group.id, `after ${n++}`);
        await zs.next((f) => f.type === 'message' && f.message_id === ack.message_id, 300);
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );

    // z saw a jump in seq: it fills the gap from the database by cursor.
    const last = (await api(b.url, 'GET', `/api/v1/conversations/${group.id}`, { token: z.token })).body.last_seq as number;
    await zs.request({ type: 'sync', cursors: { [group.id]: 3 }, limit: 500 });
    const seqs = new Set(zs.messages(group.id).map((m) => m.seq as number));
    expect([...seqs].sort((p, q) => p - q)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    [xs, ys, zs].forEach((s) => s.close());
  });
};

if (missing.length === 0) describe('Redis outage (private redis-server, two processes on PostgreSQL)', suite);
else describe.skip(`Redis outage (skipped: needs ${missing.join(', ')})`, suite);
