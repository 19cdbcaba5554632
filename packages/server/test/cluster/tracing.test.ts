import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/databases.ts';
import { TEST_REDIS_URL, testPrefix } from '../support/redis.ts';
import { spawnInstance, type Instance } from '../support/processes.ts';
import { api, createConversation, register, sendMessage } from '../support/harness.ts';
import { TestSocket } from '../support/test-socket.ts';
import { eventually } from '../support/eventually.ts';

/** Zipkin's server (scripts/zipkin.sh start; .ci/run sets it), e.g. http://127.0.0.1:19411. */
const TEST_ZIPKIN_URL = process.env.TEST_ZIPKIN_URL ?? '';
const missing = [
  !TEST_ZIPKIN_URL && 'TEST_ZIPKIN_URL (Zipkin server: bash scripts/zipkin.sh start)',
  !TEST_REDIS_URL && 'TEST_REDIS_URL (Redis)',
  !TEST_DATABASE_URL && 'TEST_DATABASE_URL (PostgreSQL)',
].filter(Boolean);

/** A span as Zipkin's v2 API returns it. */
interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

/**
 * One trace across two instances, read back from a real Zipkin: a message
 * sent by a client of instance A to a member connected to instance B is one
 * trace holding A's frame span, A's database statement, A's bus publish and
 * B's delivery, joined through the traceparent carried in the Redis payload.
 */
const suite = () => {
  let database: TestDatabase;
  let a: Instance;
  let b: Instance;
  const service = `parley-test-${randomBytes(4).toString('hex')}`;
  const ids = { a: `trace-a-${randomBytes(3).toString('hex')}`, b: `trace-b-${randomBytes(3).toString('hex')}` };

  beforeAll(async () => {
    database = await postgresDatabase();
    const env = {
      DATABASE_URL: database.url!,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: testPrefix(),
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${TEST_ZIPKIN_URL}/api/v2/spans`,
      OTEL_SERVICE_NAME: service,
      OTEL_TRACES_SAMPLER: 'always_on',
      // Export every 200 ms instead of 5 s, so the test does not wait on the batch timer.
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    };
    // Two starts at once through tsx: give a loaded machine room (a start took over 60 s at a load average of 40).
    [a, b] = await Promise.all([spawnInstance({ ...env, INSTANCE_ID: ids.a }, 150_000), spawnInstance({ ...env, INSTANCE_ID: ids.b }, 150_000)]);
  }, 180_000);
  afterAll(async () => {
    a?.kill('SIGKILL');
    b?.kill('SIGKILL');
    await Promise.all([a?.exited, b?.exited]);
    await database?.drop();
  });

  it('one trace holds the frame span on A, its statement and publish, and the delivery on B', async () => {
    const [x, y] = await Promise.all([register(a.url), register(b.url)]);
    const direct = await createConversation(a.url, x, [y]);
    const xs = await TestSocket.open(a.wsUrl, x.token);
    const ys = await TestSocket.open(b.wsUrl, y.token);
    const secret = `secret text ${randomBytes(6).toString('hex')}`;
    const ack = await sendMessage(xs, direct.id, secret);
    expect(ack.type).toBe('ack');
    await ys.next((f) => f.type === 'message' && f.message_id === ack.message_id);

    const spans = await eventually(
      async () => {
        const found = await findTrace(service, ids.b);
        expect(found).not.toBeNull();
        return found!;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const instanceOf = (s: ZipkinSpan) => s.tags?.['service.instance.id'];
    const frame = spans.find((s) => s.name === 'ws send_message');
    expect(frame, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    expect(instanceOf(frame!)).toBe(ids.a);
    expect(frame!.tags?.['parley.frame.outcome']).toBe('ok');
    expect(frame!.parentId).toBeUndefined();

    // The group-commit statement that stored it, named by operation and table only.
    const statement = spans.find((s) => s.tags?.['db.query.summary'] === 'INSERT messages' && s.parentId === frame!.id);
    expect(statement, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    expect(instanceOf(statement!)).toBe(ids.a);
    expect(statement!.tags).toMatchObject({ 'db.operation.name': 'INSERT', 'db.system.name': 'postgresql', 'parley.db.engine': 'postgres' });

    // One publish per member's user channel (a direct conversation: two), on A.
    const publishes = spans.filter((s) => s.name === 'bus publish user' && s.parentId === frame!.id);
    expect(publishes).toHaveLength(2);
    for (const p of publishes) {
      expect(instanceOf(p)).toBe(ids.a);
      expect(p.tags?.['parley.frame.type']).toBe('message');
    }

    // B's delivery hangs under one of A's publishes: the traceparent crossed Redis.
    const delivery = spans.find((s) => s.name === 'bus deliver user' && instanceOf(s) === ids.b);
    expect(delivery).toBeDefined();
    expect(publishes.map((p) => p.id)).toContain(delivery!.parentId);
    expect(delivery!.localEndpoint?.serviceName).toBe(service);
    expect(delivery!.tags?.['deployment.environment.name']).toBe('test');

    // Nothing a user wrote or holds leaks into a span.
    const everything = JSON.stringify(spans);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(x.token);
    expect(everything).not.toContain(y.token);

    // A REST request is a span of its own, named by its route pattern, with its statements under it;
    // health probes (every few seconds from a load balancer) are not traced.
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
    const rest = await api(b.url, 'GET', `/api/v1/conversations/${direct.id}/messages`, { token: y.token });
    expect(rest.status).toBe(200);
    const restSpans = await eventually(
      async () => {
        const traces = await zipkin<ZipkinSpan[][]>(`/api/v2/traces?serviceName=${service}&spanName=${encodeURIComponent('get /api/v1/conversations/:id/messages')}&limit=5`);
        const trace = traces.find((t) => t.some((s) => s.tags?.['http.route'] === '/api/v1/conversations/:id/messages'));
        expect(trace).toBeDefined();
        return trace!;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const request = restSpans.find((s) => s.tags?.['http.route'] === '/api/v1/conversations/:id/messages')!;
    expect(request.tags?.['http.response.status_code']).toBe('200');
    expect(instanceOf(request)).toBe(ids.b);
    expect(restSpans.some((s) => s.name.startsWith('db ') && s.parentId === request.id)).toBe(true);
    expect(JSON.stringify(restSpans)).not.toContain(direct.id); // the route pattern, not the path
    // The probe ended before the GET began, so it would have been exported by now.
    const names = await zipkin<string[]>(`/api/v2/spans?serviceName=${service}`);
    expect(names).toContain('get /api/v1/conversations/:id/messages');
    expect(names.filter((n) => n.includes('readyz') || n.includes('healthz'))).toEqual([]);
    xs.close();
    ys.close();
  });
};

async function zipkin<T>(path: string): Promise<T> {
  const res = await fetch(TEST_ZIPKIN_URL + path);
  if (!res.ok) throw new Error(`Zipkin ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** The spans of the trace of this service that holds a delivery on instance `deliveredOn`, or null. */
async function findTrace(service: string, deliveredOn: string): Promise<ZipkinSpan[] | null> {
  const traces = await zipkin<ZipkinSpan[][]>(`/api/v2/traces?serviceName=${service}&spanName=${encodeURIComponent('ws send_message')}&limit=10`);
  for (const summary of traces) {
    // The search may answer before every span of the trace arrived: read the trace itself.
    const spans = await zipkin<ZipkinSpan[]>(`/api/v2/trace/${summary[0]!.traceId}`);
    if (spans.some((s) => s.name === 'bus deliver user' && s.tags?.['service.instance.id'] === deliveredOn)) return spans;
  }
  return null;
}

if (missing.length === 0) describe('tracing across instances (real Zipkin, two processes on Redis and PostgreSQL)', suite);
else describe.skip(`tracing across instances (skipped: needs ${missing.join(', ')})`, suite);
