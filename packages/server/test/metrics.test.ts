import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase, postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';
import { eventually } from './support/eventually.ts';
import { api, connect, createConversation, register, sendMessage, startServer, textMessage, type TestServer } from './support/harness.ts';

/** One sample of the instance's metrics, 0 when absent. */
async function sample(server: TestServer, name: string, labels: string): Promise<number> {
  const text = await server.parley.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/**
 * The counters an error-ratio alert reads: frames by type and outcome, REST
 * requests by route and status class. Labels stay bounded: frame types, error
 * codes, route patterns — never ids.
 */
describe('metrics of frames and requests', () => {
  let database: TestDatabase;
  let server: TestServer;
  beforeAll(async () => {
    database = await pgliteDatabase();
    server = await startServer(database.db);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('counts WebSocket frames by type and outcome', async () => {
    const [x, y] = await Promise.all([register(server.url), register(server.url)]);
    const direct = await createConversation(server.url, x, [y]);
    const xs = await connect(server, x);
    await sendMessage(xs, direct.id, 'hello');
    await sendMessage(xs, crypto.randomUUID(), 'nowhere');
    xs.sendRaw('{not json');
    await xs.request({ type: 'ping' });
    expect(await sample(server, 'parley_ws_frames_total', 'type="send_message",outcome="ok"')).toBe(1);
    expect(await sample(server, 'parley_ws_frames_total', 'type="send_message",outcome="conversation_not_found"')).toBe(1);
    expect(await sample(server, 'parley_ws_frames_total', 'type="undecoded",outcome="malformed_json"')).toBe(1);
    expect(await sample(server, 'parley_ws_frames_total', 'type="ping",outcome="ok"')).toBe(1);
    xs.close();
  });

  it('counts REST requests by route pattern and status class, never by id', async () => {
    const x = await register(server.url);
    await api(server.url, 'GET', `/api/v1/conversations/${crypto.randomUUID()}`, { token: x.token });
    await api(server.url, 'GET', '/no/such/route');
    expect(await sample(server, 'parley_http_requests_total', 'method="GET",route="/api/v1/conversations/:id",status_class="4xx"')).toBe(1);
    expect(await sample(server, 'parley_http_requests_total', 'method="POST",route="/api/v1/auth/register",status_class="2xx"')).toBeGreaterThanOrEqual(1);
    expect(await sample(server, 'parley_http_requests_total', 'method="GET",route="unmatched",status_class="4xx"')).toBe(1);
    expect(await server.parley.metrics.registry.metrics()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('counts rate-limit trips by scope and server-side closes by reason', async () => {
    const limited = await startServer(database.db, { env: { RATE_LIMIT_FRAMES: '1:2' } });
    try {
      const x = await register(limited.url);
      const xs = await connect(limited, x);
      for (let i = 0; i < 40 && xs.closeCode === null; i++) xs.sendRaw(JSON.stringify({ type: 'ping', id: `p${i}` }));
      expect(await xs.closed()).toBe(4429);
      expect(await sample(limited, 'parley_rate_limited_total', 'scope="ping"')).toBeGreaterThanOrEqual(1);
      // Counted when the server's side of the socket has closed, which may follow the client's.
      await eventually(async () => expect(await sample(limited, 'parley_ws_server_closes_total', 'reason="rateLimited"')).toBe(1));
    } finally {
      await limited.close();
    }
  });

  it('counts WebSocket handshakes by result', async () => {
    const x = await register(server.url);
    const before = await sample(server, 'parley_ws_handshakes_total', 'result="accepted"');
    const xs = await connect(server, x);
    await expect(connect(server, { ...x, token: 'not-a-token' })).rejects.toThrow('HTTP 401');
    expect(await sample(server, 'parley_ws_handshakes_total', 'result="accepted"')).toBe(before + 1);
    expect(await sample(server, 'parley_ws_handshakes_total', 'result="unauthenticated"')).toBe(1);
    xs.close();
  });

  it('counts stored messages whichever edge sent them (WebSocket or REST), retries excluded', async () => {
    const [x, y] = await Promise.all([register(server.url), register(server.url)]);
    const direct = await createConversation(server.url, x, [y]);
    const before = await sample(server, 'parley_messages_sent_total', '');
    const xs = await connect(server, x);
    await sendMessage(xs, direct.id, 'over the socket', 'ws-1');
    await sendMessage(xs, direct.id, 'over the socket', 'ws-1');
    const body = textMessage('over REST', 'rest-1');
    expect((await api(server.url, 'POST', `/api/v1/conversations/${direct.id}/messages`, { token: x.token, body })).status).toBe(201);
    expect((await api(server.url, 'POST', `/api/v1/conversations/${direct.id}/messages`, { token: x.token, body })).status).toBe(200);
    expect(await sample(server, 'parley_messages_sent_total', '')).toBe(before + 2);
    xs.close();
  });

  it('observes the message writer: each send\'s wait for its batch, each batch\'s time and size', async () => {
    const [x, y] = await Promise.all([register(server.url), register(server.url)]);
    const direct = await createConversation(server.url, x, [y]);
    const xs = await connect(server, x);
    const count = (name: string) => sample(server, `parley_message_write_${name}_count`, '');
    const before = { waits: await count('wait_seconds'), batches: await count('batch_seconds'), sizes: await sample(server, 'parley_message_write_batch_size_sum', '') };
    await Promise.all([sendMessage(xs, direct.id, 'one'), sendMessage(xs, direct.id, 'two'), sendMessage(xs, direct.id, 'three')]);
    expect(await count('wait_seconds')).toBe(before.waits + 3);
    const batches = (await count('batch_seconds')) - before.batches;
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThanOrEqual(3);
    // Every send was in exactly one batch.
    expect(await sample(server, 'parley_message_write_batch_size_sum', '')).toBe(before.sizes + 3);
    xs.close();
  });

  it('observes the delivery of each message to this instance\'s sockets, once per payload', async () => {
    const [x, y] = await Promise.all([register(server.url), register(server.url)]);
    const direct = await createConversation(server.url, x, [y]);
    const [xs, ys] = await Promise.all([connect(server, x), connect(server, y)]);
    const before = await sample(server, 'parley_delivery_seconds_count', '');
    await sendMessage(xs, direct.id, 'hello');
    await ys.next((f) => f.type === 'message');
    // Two payloads (x's and y's user channels), each observed once; presence and receipts are not messages.
    await eventually(async () => expect(await sample(server, 'parley_delivery_seconds_count', '')).toBe(before + 2));
    xs.close();
    ys.close();
  });
});

describe('delivery latency in a large room', () => {
  it('observes a large room\'s message when its batch is written to the room\'s sockets, once per payload', async () => {
    const database = await pgliteDatabase();
    const server = await startServer(database.db, { env: { LARGE_ROOM_THRESHOLD: '2' } });
    try {
      const [x, y, z] = await Promise.all([register(server.url), register(server.url), register(server.url)]);
      const room = await createConversation(server.url, x, [y, z], 'group');
      const [xs, ys] = await Promise.all([connect(server, x), connect(server, y)]);
      const before = await sample(server, 'parley_delivery_seconds_count', '');
      await sendMessage(xs, room.id, 'to the room');
      await ys.next((f) => f.type === 'message');
      // One payload on the room's channel, however many sockets hear it.
      await eventually(async () => expect(await sample(server, 'parley_delivery_seconds_count', '')).toBe(before + 1));
      xs.close();
      ys.close();
    } finally {
      await server.close();
      await database.drop();
    }
  });
});

const onPostgres = TEST_DATABASE_URL ? describe : describe.skip;
onPostgres(`PostgreSQL pool metrics${TEST_DATABASE_URL ? '' : ' (skipped: needs TEST_DATABASE_URL)'}`, () => {
  it('exports the pool\'s connections by state and the requests waiting for one', async () => {
    const database = await postgresDatabase();
    const server = await startServer(database.db);
    try {
      await database.db.query('SELECT 1');
      const total = (await sample(server, 'parley_database_pool_connections', 'state="idle"')) + (await sample(server, 'parley_database_pool_connections', 'state="busy"'));
      expect(total).toBeGreaterThanOrEqual(1);
      const text = await server.parley.metrics.registry.metrics();
      // The scrape's own database reads (the probe, the attachments backlog) may be waiting for a connection at that moment: 0 to 2.
      expect(text).toMatch(/^parley_database_pool_waiting [012]$/m);
    } finally {
      await server.close();
      await database.drop();
    }
  });
});
