/**
 * Direct-message benchmark: P pairs of users, one direct conversation per
 * pair, one socket per user; each pair's first user sends M messages to the
 * second. Measures persisted messages/s and send→receive / send→ack latency,
 * and checks that every message arrived exactly once.
 *
 *   npm run bench:direct -- [--db pglite|postgres] [--pairs 50] [--messages 200]
 *                           [--window 8 | --rate 0] [--warmup 200] [--timeout 300]
 *                           [--kafka 127.0.0.1:19092]
 *   npm run bench:direct -- --pin [--pairs 500] [--rates …] [--step 5]: per core, see lib/pinned-direct-cli.ts
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Api, mapLimit, type BenchUser } from './lib/api.ts';
import { BenchClient } from './lib/client.ts';
import { cpuBetween, sampleCpu, type CpuUse } from './lib/cpu.ts';
import { Deadline } from './lib/deadline.ts';
import { buildDirectResult, type DirectOptions, type SetupTimes } from './lib/direct-result.ts';
import { runPhase, type PhaseResult, type SendLane } from './lib/load.ts';
import { printTable, writeResult } from './lib/report.ts';
import { startServer, type DbKind, type ServerProcess } from './lib/server-process.ts';
import { DeliveryTracker } from './lib/tracker.ts';
import { KafkaLag } from './lib/kafka-lag.ts';
import { pinnedDirectMain } from './lib/pinned-direct-cli.ts';

const USAGE = `usage: npm run bench:direct -- [options]
  --db pglite|postgres   storage of the spawned server (default pglite)
  --pg-url URL           PostgreSQL server for --db postgres; a scratch database is created on it
                         (default postgres://postgres@127.0.0.1:5432/postgres)
  --pairs P              sender/recipient pairs, one direct conversation each (default 50)
  --messages M           messages per sender in the measured phase (default 200)
  --window W             closed loop: most un-acked sends per sender (default 8)
  --rate R               open loop: messages/s over all senders instead of a window (default 0 = closed loop)
  --warmup N             unmeasured messages sent first, over all senders (default 200)
  --timeout S            overall time budget in seconds; past it, report what was measured and exit 1 (default 300)
  --profile              CPU profile of the server (--cpu-prof) into bench/results/profiles
  --kafka BROKERS        relay the outbox to this Kafka broker (KAFKA_BROKERS, a fresh topic prefix) and
                         measure the lag from each measured message's commit to a consumer holding its event`;

function parseCli(): DirectOptions {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'pglite' },
      'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      pairs: { type: 'string', default: '50' },
      messages: { type: 'string', default: '200' },
      window: { type: 'string', default: '8' },
      rate: { type: 'string', default: '0' },
      warmup: { type: 'string', default: '200' },
      timeout: { type: 'string', default: '300' },
      profile: { type: 'boolean', default: false },
      kafka: { type: 'string', default: '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: keyof typeof values, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got "${values[name]}"`);
    return n;
  };
  if (values.db !== 'pglite' && values.db !== 'postgres') throw new Error(`--db must be pglite or postgres`);
  return {
    db: values.db as DbKind,
    pgUrl: values['pg-url'],
    pairs: Math.floor(num('pairs', 1)),
    messages: Math.floor(num('messages', 1)),
    window: Math.floor(num('window', 1)),
    rate: num('rate', 0),
    warmup: Math.floor(num('warmup', 0)),
    timeoutS: num('timeout', 10),
    profile: values.profile,
    kafka: values.kafka ? values.kafka.split(',') : null,
  };
}

async function main(): Promise<number> {
  const opts = parseCli();
  const deadline = new Deadline(opts.timeoutS * 1000);
  let server: ServerProcess | null = null;
  const clients: BenchClient[] = [];
  const cleanup = async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.stop();
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

  let tracker: DeliveryTracker | null = null;
  let phase: PhaseResult | null = null;
  let failure: string | null = null;
  let cpu: CpuUse | null = null;
  let lag: KafkaLag | null = null;
  let lagDrained: boolean | null = null;
  const topicPrefix = `benchlag${Date.now().toString(36)}.`;
  const setup: SetupTimes = { registerS: 0, conversationsS: 0, connectS: 0, rateLimitedRetries: 0, loadBefore: loadavg() };
  try {
    console.error(`starting server (${opts.db})…`);
    const env: Record<string, string> = opts.kafka ? { KAFKA_BROKERS: opts.kafka.join(','), KAFKA_TOPIC_PREFIX: topicPrefix } : {};
    server = await deadline.race(startServer({ db: opts.db, pgUrl: opts.pgUrl, env, nodeArgs: opts.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : [] }), 'server start');
    if (opts.kafka) lag = await deadline.race(KafkaLag.start(opts.kafka, `${topicPrefix}messages`, 'm'), 'kafka consumer');
    const api = new Api(server.baseUrl);

    console.error(`registering ${opts.pairs * 2} users…`);
    let t = performance.now();
    const names = Array.from({ length: opts.pairs * 2 }, (_, i) => `bench_${i}`);
    const users = await deadline.race(mapLimit(names, 4, (n) => api.register(n, 'bench-password')), 'registration');
    setup.registerS = (performance.now() - t) / 1000;

    console.error(`creating ${opts.pairs} direct conversations…`);
    t = performance.now();
    const pairs = Array.from({ length: opts.pairs }, (_, p) => [users[2 * p]!, users[2 * p + 1]!] as const);
    const convs = await deadline.race(mapLimit(pairs, 4, ([a, b]) => api.createDirect(a, b)), 'conversations');
    setup.conversationsS = (performance.now() - t) / 1000;

    console.error(`opening ${users.length} sockets…`);
    t = performance.now();
    const connectOne = async (u: BenchUser) => {
      const c = await BenchClient.connect(server!.wsUrl, u.token);
      clients.push(c);
      return c;
    };
    const sockets = await deadline.race(mapLimit(users, 8, connectOne), 'socket connect');
    setup.connectS = (performance.now() - t) / 1000;
    setup.rateLimitedRetries = api.rateLimited;

    const tr = new DeliveryTracker((p) => convs[p]!);
    tracker = tr;
    const lanes: SendLane[] = [];
    for (let p = 0; p < opts.pairs; p++) {
      sockets[2 * p]!.onFrame((f, at) => tr.handle(p, 'sender', f, at));
      sockets[2 * p + 1]!.onFrame((f, at) => tr.handle(p, 'recipient', f, at));
      lanes.push({ pair: p, client: sockets[2 * p]!, conversationId: convs[p]! });
    }

    const srv = server;
    const common = { lanes, tracker: tr, deadline, window: opts.window, stallMs: 30_000, abort: () => srv.crashed !== null };
    if (opts.warmup > 0) {
      console.error(`warm-up: ${opts.warmup} messages…`);
      const w = await runPhase({ ...common, perLane: Math.ceil(opts.warmup / opts.pairs), prefix: 'w', measured: false, rate: 0 });
      if (w.deliveries !== 'done') throw new Error(`warm-up did not complete: acks ${w.acks}, deliveries ${w.deliveries}`);
    }
    const mode = opts.rate > 0 ? `${opts.rate} msg/s open loop` : `window ${opts.window}`;
    console.error(`measuring: ${opts.pairs} senders × ${opts.messages} messages, ${mode}…`);
    const withPg = opts.db === 'postgres' && /@(127\.0\.0\.1|localhost)[:/]/.test(opts.pgUrl);
    const before = sampleCpu(server.pid, withPg);
    phase = await runPhase({ ...common, perLane: opts.messages, prefix: 'm', measured: true, rate: opts.rate });
    cpu = cpuBetween(before, sampleCpu(server.pid, withPg));
    if (phase.acks !== 'done') failure = `not every send was acknowledged (${phase.acks})`;
    else if (phase.deliveries !== 'done') failure = `not every message was delivered (${phase.deliveries})`;
    if (lag) {
      console.error('waiting for every measured message.created event in Kafka…');
      lagDrained = await lag.drained(opts.pairs * opts.messages, 60_000);
      if (!lagDrained && !failure) failure = `only ${lag.count} of ${opts.pairs * opts.messages} message.created events reached Kafka within 60 s`;
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  } finally {
    await lag?.close();
    await cleanup().catch((err: unknown) => console.error('cleanup failed:', err));
    deadline.cancel();
  }
  if (deadline.expired && !failure?.includes('timeout')) failure = `overall timeout (${opts.timeoutS} s) expired${failure ? `: ${failure}` : ''}`;

  const result = buildDirectResult(opts, setup, server, tracker, phase, cpu, clients, failure);
  const json = lag ? { ...result.json, kafka: { ...lag.histogram.summary(), events: lag.count, repeats: lag.repeats, malformed: lag.malformed, drained: lagDrained } } : result.json;
  if (lag) {
    const l = lag.histogram.summary();
    result.rows.push(['Commit → Kafka consumer (ms)', undefined], ['events / relay repeats', `${lag.count} / ${lag.repeats}`], ['p50 / p95 / p99 / max', `${l.p50} / ${l.p95} / ${l.p99} / ${l.max}`]);
  }
  printTable(`Parley direct messages — ${opts.db}`, result.rows);
  const path = await writeResult('direct', opts.db, json);
  console.log(`\nresult: ${result.json.ok ? 'PASS' : 'FAIL'}${result.problems.length ? ` — ${result.problems.join('; ')}` : ''}`);
  console.log(`written to ${path}`);
  return result.json.ok ? 0 : 1;
}

(process.argv.includes('--pin') ? pinnedDirectMain(process.argv.slice(2)) : main()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
