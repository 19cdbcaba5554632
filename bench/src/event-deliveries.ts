/**
 * Outgoing event deliveries: how long from a message's commit to its signed
 * POST arriving at an operator's endpoint, and how the retries of a failing
 * endpoint are spaced. A real server process (no Kafka: the integrations
 * consumer reads the outbox in-process, as on `npm start`) and a node:http
 * receiver on loopback (INTEGRATION_ALLOW_PRIVATE_URLS=on).
 *
 *   npm run bench:deliveries -- [--db pglite|postgres] [--messages 200] [--retry-base-ms 200] [--fail-first 3]
 *
 * Latency: `--messages` sent one after another; each is timed from the REST
 * send's answer (the commit) to the receiver reading the delivery.
 * Retries: one more message whose delivery the receiver refuses (500)
 * `--fail-first` times; the gaps between attempts are reported beside the
 * configured backoff (base × 2ⁿ⁻¹, jittered down to half).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Api } from './lib/api.ts';
import { startServer, type DbKind } from './lib/server-process.ts';
import { machineInfo, printTable, writeResult } from './lib/report.ts';
import { round, summarize } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'pglite' },
    messages: { type: 'string', default: '200' },
    'retry-base-ms': { type: 'string', default: '200' },
    'fail-first': { type: 'string', default: '3' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
  strict: true,
});
const db = values.db as DbKind;
const messages = Number(values.messages);
const retryBaseMs = Number(values['retry-base-ms']);
const failFirst = Number(values['fail-first']);

// message id → when its delivery arrived (ms, performance clock); the failing one's attempts.
const arrived = new Map<string, number>();
const waiters = new Map<string, () => void>();
let failingId: string | null = null;
const failingAttempts: number[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = performance.now();
    const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payload: { message_id: string } };
    const id = event.payload.message_id;
    if (id === failingId) {
      failingAttempts.push(at);
      if (failingAttempts.length <= failFirst) return void res.writeHead(500).end();
    }
    if (!arrived.has(id)) arrived.set(id, at);
    waiters.get(id)?.();
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;

const server = await startServer({
  db,
  pgUrl: values['pg-url'],
  env: {
    INTEGRATION_ALLOW_PRIVATE_URLS: 'on',
    INTEGRATION_RETRY_BASE_MS: String(retryBaseMs),
    INTEGRATION_RETRY_MAX: String(Math.max(1, Math.ceil((retryBaseMs * 2 ** failFirst) / 1000))),
    INTEGRATION_MAX_ATTEMPTS: String(failFirst + 2),
  },
});
try {
  const api = new Api(server.baseUrl);
  const operator = await api.register(`op${Date.now().toString(36)}`, 'correct horse battery');
  const other = await api.register(`peer${Date.now().toString(36)}`, 'correct horse battery');
  const conversationId = await api.createDirect(operator, other);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${operator.token}` },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path} → ${res.status}: ${await res.text()}`);
    return (await res.json()) as { message_id: string };
  };
  await post('/api/v1/admin/event-endpoints', { url: receiverUrl, event_types: ['message.created'] });
  const send = (text: string) =>
    post(`/api/v1/conversations/${conversationId}/messages`, { type: 'text', text, client_msg_id: crypto.randomUUID(), sent_at: new Date().toISOString() });
  const delivered = (id: string) =>
    arrived.has(id) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(id, resolve));

  const latencies: number[] = [];
  for (let i = 0; i < messages; i++) {
    const sent = await send(`bench ${i}`);
    const committed = performance.now();
    await delivered(sent.message_id);
    latencies.push(arrived.get(sent.message_id)! - committed);
  }

  // The failing one: its id is known only from the send's answer, so the receiver refuses by id from then on.
  const pending = send('flaky');
  const { message_id } = await pending;
  failingId = message_id;
  // Its first attempt may have landed before failingId was set (it was then accepted): retry with a fresh message.
  let id = message_id;
  if (arrived.has(id)) {
    failingAttempts.length = 0;
    failingId = null;
    const again = await send('flaky 2');
    failingId = id = again.message_id;
  }
  await delivered(id);
  const gaps = failingAttempts.slice(1).map((t, i) => t - failingAttempts[i]!);

  const lat = summarize(latencies);
  const result = {
    machine: machineInfo(),
    db,
    messages,
    latency_ms: { p50: round(lat.p50), p90: round(lat.p90), p99: round(lat.p99), max: round(lat.max) },
    retries: {
      retry_base_ms: retryBaseMs,
      fail_first: failFirst,
      attempts: failingAttempts.length,
      gaps_ms: gaps.map((g) => round(g, 0)),
      configured_ranges_ms: gaps.map((_, n) => [(retryBaseMs * 2 ** n) / 2, retryBaseMs * 2 ** n]),
    },
  };
  printTable(`event deliveries (${db})`, [
    ['messages', messages],
    ['commit → delivery p50 / p90 / p99 / max (ms)', `${result.latency_ms.p50} / ${result.latency_ms.p90} / ${result.latency_ms.p99} / ${result.latency_ms.max}`],
    ['attempts of the failing delivery', failingAttempts.length],
    ['gaps between attempts (ms)', result.retries.gaps_ms.join(', ')],
    ['configured backoff ranges (ms)', result.retries.configured_ranges_ms.map(([a, b]) => `${a}-${b}`).join(', ')],
  ]);
  console.log(await writeResult('event-deliveries', db, result));
} finally {
  await server.stop();
  receiver.closeAllConnections();
  receiver.close();
}
