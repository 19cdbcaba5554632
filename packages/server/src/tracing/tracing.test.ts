import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { activeTracer, startTracing, stopTracing } from './tracer.ts';
import { endFrameSpan, startFrameSpan, withSpan } from './spans.ts';
import { summarize } from './traced-database.ts';
import { pgliteDatabase, type TestDatabase } from '../../test/support/databases.ts';
import { openTestRedis, TEST_REDIS_URL, testPrefix } from '../../test/support/redis.ts';
import { createConversation, register, sendMessage, startServer, type TestServer } from '../../test/support/harness.ts';
import { TestSocket } from '../../test/support/test-socket.ts';
import { eventually } from '../../test/support/eventually.ts';
import type { RedisConnections } from '../redis.ts';
import { decodeUserPayload } from '../bus/control.ts';

describe('statement summaries (span names of database statements)', () => {
  it('name the operation and its table, never a value', () => {
    expect(summarize('SELECT id FROM users WHERE username = $1')).toEqual({ operation: 'SELECT', summary: 'SELECT users' });
    expect(summarize('INSERT INTO "public"."sessions" (id) VALUES ($1)')).toEqual({ operation: 'INSERT', summary: 'INSERT public.sessions' });
    expect(summarize(' update conversation_members SET read_seq = $1')).toEqual({ operation: 'UPDATE', summary: 'UPDATE conversation_members' });
    expect(summarize('DELETE FROM outbox WHERE id = ANY($1)')).toEqual({ operation: 'DELETE', summary: 'DELETE outbox' });
    // A CTE statement is named by the change it makes; a function in FROM is no table.
    expect(summarize("WITH i AS (SELECT * FROM unnest($1::uuid[])) , u AS (UPDATE conversations SET x = 1) INSERT INTO messages SELECT 'literal' FROM i").summary).toBe('INSERT messages');
    expect(summarize('SELECT * FROM unnest($1::int[]) AS x').summary).toBe('SELECT');
    expect(summarize('SELECT 1').summary).toBe('SELECT');
    expect(summarize("SELECT 'Robert'); DROP TABLE x").summary).not.toContain('Robert');
  });
});

describe('tracing configuration (standard OTEL_* variables)', () => {
  it('is off by default, and when the SDK is disabled', () => {
    expect(loadConfig({}).tracing.enabled).toBe(false);
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'none' }).tracing.enabled).toBe(false);
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_SDK_DISABLED: 'true' }).tracing.enabled).toBe(false);
  });

  it('reads exporter, endpoint, sampler, service name and resource attributes', () => {
    const { tracing } = loadConfig({
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: 'http://zipkin:9411/api/v2/spans',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
      OTEL_SERVICE_NAME: 'chat',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=a%2Cb',
    });
    expect(tracing).toMatchObject({
      enabled: true,
      exporter: 'zipkin',
      zipkinEndpoint: 'http://zipkin:9411/api/v2/spans',
      sampler: { name: 'parentbased_traceidratio', ratio: 0.01 },
      serviceName: 'chat',
      resourceAttributes: { 'deployment.environment.name': 'prod', team: 'a,b' },
    });
  });

  it('takes the OTLP endpoint from the signal-specific variable, else the base one plus /v1/traces', () => {
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing).toMatchObject({ exporter: 'otlp', otlpEndpoint: 'http://localhost:4318/v1/traces' });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.otlpEndpoint).toBe('http://collector:4318/v1/traces');
    expect(
      loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces' }).tracing.otlpEndpoint,
    ).toBe('http://b:4318/traces');
  });

  it('exports OTLP/HTTP JSON with the service and instance as resource attributes', async () => {
    // A recording HTTP endpoint stands in for an OpenTelemetry Collector (none runs here); the Zipkin path is exported to a real Zipkin in test/cluster/tracing.test.ts.
    const bodies: Array<{ url: string; body: string }> = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push({ url: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const owner = {};
    try {
      const { port } = collector.address() as AddressInfo;
      const config = loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'otlp-check' }).tracing;
      expect(startTracing(config, 'instance-7', owner)).toBe(true);
      endFrameSpan(startFrameSpan('ping'), 'ok');
    } finally {
      await stopTracing(owner); // flushes the batch
      collector.close();
    }
    expect(bodies.map((b) => b.url)).toEqual(['/v1/traces']);
    const text = bodies[0]!.body;
    for (const expected of ['"ws ping"', '"otlp-check"', '"instance-7"', '"parley.frame.outcome"']) expect(text).toContain(expected);
  });

  it('refuses values it cannot honour, naming the variable', () => {
    for (const [name, value] of [
      ['OTEL_TRACES_EXPORTER', 'jaeger'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
      ['OTEL_TRACES_SAMPLER', 'sometimes'],
      ['OTEL_TRACES_SAMPLER_ARG', '2'],
      ['OTEL_SDK_DISABLED', 'maybe'],
      ['OTEL_RESOURCE_ATTRIBUTES', 'novalue'],
      ['OTEL_BSP_SCHEDULE_DELAY', '-1'],
    ] as const) {
      expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin', [name]: value }), name).toThrow(ConfigError);
      expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin', [name]: value }), name).toThrow(name);
    }
  });
});

/**
 * The same message, sent on instance A to a member on instance B over Redis,
 * with tracing off and then on: off records nothing, leaves the database
 * unwrapped and the Redis payload exactly as before; on records the frame,
 * its statement, the publishes and the deliveries, and the payload carries a
 * traceparent that older instances' parsing ignores.
 */
const suite = () => {
  let database: TestDatabase;
  let redis: RedisConnections;
  const exporter = new InMemorySpanExporter();
  const owner = {};
  const prefix = testPrefix();

  beforeAll(async () => {
    database = await pgliteDatabase();
    redis = await openTestRedis();
  });
  afterAll(async () => {
    await stopTracing(owner);
    await redis?.close();
    await database?.drop();
  });

  /** Two instances on the shared database and Redis; x on A sends `text` to y on B. Returns the raw Redis message to y's channel. */
  async function sendAcross(env: Record<string, string>, text: string) {
    const servers: TestServer[] = [];
    try {
      for (const id of ['a', 'b']) {
        servers.push(await startServer(database.db, { env: { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, INSTANCE_ID: `${id}-${prefix}`, ...env } }));
      }
      const [a, b] = servers as [TestServer, TestServer];
      const [x, y] = [await register(a.url), await register(b.url)];
      const direct = await createConversation(a.url, x, [y]);
      const raw: string[] = [];
      const channel = `${prefix}user:${y.id}`;
      const listener = (message: string) => void raw.push(message);
      await redis.subscriber.subscribe(channel, listener);
      const [xs, ys] = [await TestSocket.open(a.wsUrl, x.token), await TestSocket.open(b.wsUrl, y.token)];
      const ack = await sendMessage(xs, direct.id, text);
      const received = await ys.next((f) => f.type === 'message' && f.message_id === ack.message_id);
      await eventually(() => expect(raw.some((m) => m.includes(String(ack.message_id)))).toBe(true));
      await redis.subscriber.unsubscribe(channel, listener);
      xs.close();
      ys.close();
      return { a, b, received, raw: raw.find((m) => m.includes(String(ack.message_id)))!, logs: [...a.logs, ...b.logs] };
    } finally {
      for (const s of servers) await s.close();
    }
  }

  /** The frame inside a raw Redis message on a user channel (after the bus tag, inside the conversation envelope, bus/control.ts). */
  const frameOf = (raw: string): unknown => {
    const decoded = decodeUserPayload(raw.slice(raw.indexOf('|') + 1));
    if (decoded.kind !== 'frame') throw new Error('not a frame');
    const frame = JSON.parse(decoded.payload) as { conversation_id: string };
    expect(decoded.conversationId).toBe(frame.conversation_id);
    return frame;
  };

  it('with tracing off records no span and leaves the bus payload unchanged', async () => {
    expect(startTracing(loadConfig({}).tracing, 'unit', owner, exporter)).toBe(false);
    expect(activeTracer()).toBeNull();
    expect(startFrameSpan('send_message')).toBeUndefined();
    const { a, received, raw, logs } = await sendAcross({}, 'untraced');
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(a.parley.db).toBe(database.db); // not wrapped
    // `<instance id>|<user-channel payload>`, as before tracing existed.
    expect(raw.startsWith(`a-${prefix}|`)).toBe(true);
    expect(frameOf(raw)).toEqual(received);
    expect(logs.filter((l) => l.includes('trace_id'))).toEqual([]);
  });

  it('with tracing on records frame, statement, publish and delivery spans, and the payload carries a traceparent', async () => {
    const env = { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER: 'always_on' };
    // In place of the Zipkin exporter: spans to memory (the Zipkin path is test/cluster/tracing.test.ts).
    expect(startTracing(loadConfig(env).tracing, 'unit', owner, exporter)).toBe(true);
    const { received, raw } = await sendAcross(env, 'traced secret');
    const spans = await eventually(() => {
      const done = exporter.getFinishedSpans();
      expect(done.filter((s) => s.name === 'bus deliver user').length).toBeGreaterThanOrEqual(2);
      return done;
    });
    const byName = (name: string) => spans.filter((s) => s.name === name);
    const frame = byName('ws send_message')[0]!;
    expect(frame.attributes['parley.frame.outcome']).toBe('ok');
    const childOf = (s: ReadableSpan, parent: ReadableSpan) => s.parentSpanContext?.spanId === parent.spanContext().spanId;
    expect(spans.some((s) => s.name === 'db INSERT messages' && childOf(s, frame))).toBe(true);
    const publishes = byName('bus publish user').filter((s) => childOf(s, frame));
    expect(publishes).toHaveLength(2);
    // Both members' deliveries (x's other devices on A, y on B) hang under a publish, in the frame's trace.
    for (const d of byName('bus deliver user')) {
      expect(publishes.some((p) => childOf(d, p))).toBe(true);
      expect(d.spanContext().traceId).toBe(frame.spanContext().traceId);
    }
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('traced secret');

    // `<instance id>;<traceparent>|<user-channel payload>`: the payload is unchanged by tracing.
    const match = /^([^;|]+);(00-([0-9a-f]{32})-[0-9a-f]{16}-01)\|/.exec(raw);
    expect(match?.[1]).toBe(`a-${prefix}`);
    expect(match?.[3]).toBe(frame.spanContext().traceId);
    expect(frameOf(raw)).toEqual(received);
  });

  it('log lines written under a recording span carry its trace id', () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (chunk, _e, done) => void (lines.push(String(chunk)), done()) }));
    const span = activeTracer()!.startSpan('test');
    withSpan(span, () => log.info({ frame: 'ping' }, 'inside'));
    span.end();
    log.info('outside');
    const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(inside).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, frame: 'ping' });
    expect(outside).not.toHaveProperty('trace_id');
    expect(trace.getActiveSpan()).toBeUndefined();
  });
};

if (TEST_REDIS_URL) describe('tracing off and on, two in-process instances on Redis', suite);
else describe.skip('tracing off and on (skipped: needs TEST_REDIS_URL for the Redis bus payloads)', suite);
