import { setTimeout as sleep } from 'node:timers/promises';
import { Api } from './api.ts';
import { startCeiling } from './ceiling.ts';
import { startCluster } from './cluster.ts';
import { postgresCpuMs, processCpuMs } from './cpu.ts';
import { parleySender, rawSender, type FanoutSender } from './fanout-run.ts';
import { nowMs, type Histogram } from './histogram.ts';
import { pinPid, type Pinning } from './pin.ts';
import { pidsByComm } from './proc.ts';
import { createGroup, registerMany } from './setup.ts';
import { loadAvg1, monoUs, passes, type StepResult } from './steps.ts';
import { mergeStats, sourceAddress, WorkerPool } from './worker-pool.ts';

export interface PinnedFanoutOptions {
  members: number;
  /** Sockets per member (a user's devices): the deliveries per message are members × devices. */
  devices: number;
  senders: number;
  rates: number[];
  stepS: number;
  graceS: number;
  workers: number;
  addresses: number;
  pgUrl: string;
  redisUrl: string;
  profile: boolean;
  /** Run every step even after one fails. */
  keepGoing: boolean;
  /** Checkout whose server runs as system `base` (same-run before/after). */
  baseRoot: string | null;
}

export interface FanoutSystemRun {
  /** `base`: Parley from `baseRoot`, another checkout (the code before a change). */
  system: 'parley' | 'reference' | 'base';
  steps: StepResult[];
  setup_s: number;
  duplicates: number;
  closed_by_server: number;
  send_errors: number;
  logs?: unknown;
}

interface Target {
  pid: number;
  senders: FanoutSender[];
  pool: WorkerPool;
  recipients: number;
  stop(): Promise<void>;
  logs?: () => unknown;
}

const SCALE = 200; // Histogram's log-bucket scale (histogram.ts)

/** Percentile over a bucket diff, counting `total − recorded` missing samples as last. */
function percentileOf(buckets: Map<number, number>, total: number, p: number): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
    seen += buckets.get(b)!;
    if (seen >= rank) return Math.round(Math.expm1(b / SCALE) * 100) / 100;
  }
  return null;
}

function diff(after: Histogram, before: Histogram): Map<number, number> {
  const out = new Map<number, number>();
  for (const [b, n] of after.buckets) {
    const d = n - (before.buckets.get(b) ?? 0);
    if (d > 0) out.set(b, d);
  }
  return out;
}

async function runSteps(t: Target, opts: PinnedFanoutOptions, pin: Pinning, log: (m: string) => void): Promise<StepResult[]> {
  const steps: StepResult[] = [];
  let k = 0; // message counter over the whole run: ids and seqs stay unique
  const runOne = async (rate: number): Promise<StepResult> => {
    pin.repin();
    const messages = Math.max(1, Math.round(rate * opts.stepS));
    const expected = messages * t.recipients;
    const redisPids = pidsByComm('redis-server');
    const before = mergeStats(await t.pool.stats());
    const c0 = { server: processCpuMs(t.pid) ?? 0, pg: postgresCpuMs(), redis: redisPids.reduce((n, p) => n + (processCpuMs(p) ?? 0), 0), bench: process.cpuUsage() };
    const start = nowMs() + 50;
    const mono0 = monoUs();
    for (let i = 0; i < messages; i++) {
      const at = start + (i * 1000) / rate;
      const wait = at - nowMs();
      if (wait > 1) await sleep(wait);
      t.senders[k % t.senders.length]!.send(k, at);
      k++;
    }
    const graceEnd = Math.max(nowMs(), start + opts.stepS * 1000) + opts.graceS * 1000;
    let now = mergeStats(await t.pool.stats());
    while (now.deliveries - before.deliveries < expected && nowMs() < graceEnd) {
      await sleep(50);
      now = mergeStats(await t.pool.stats());
    }
    const delivered = now.deliveries - before.deliveries;
    const end = delivered >= expected ? now.lastDeliveryAt : nowMs();
    const bench = process.cpuUsage(c0.bench);
    const c1 = { server: processCpuMs(t.pid) ?? 0, pg: postgresCpuMs(), redis: redisPids.reduce((n, p) => n + (processCpuMs(p) ?? 0), 0) };
    const wall = end - start;
    const buckets = diff(now.latency, before.latency);
    const serverMs = c1.server - c0.server;
    const step: StepResult = {
      rate,
      sent: messages,
      expected,
      delivered,
      delivered_fraction: delivered / expected,
      p50: percentileOf(buckets, expected, 50),
      p95: percentileOf(buckets, expected, 95),
      p99: percentileOf(buckets, expected, 99),
      max: delivered >= expected ? Math.round(now.latency.max) : null,
      duration_s: Math.round(wall) / 1000,
      server_cores: serverMs / wall,
      server_cpu_ms: serverMs,
      server_us_per_message: messages ? Math.round((serverMs * 1000) / messages) : null,
      deliveries_per_server_cpu_s: serverMs > 0 ? Math.round(delivered / (serverMs / 1000)) : null,
      server_us_per_message_drained: null,
      postgres_cores: c0.pg === null || c1.pg === null ? null : Math.max(0, (c1.pg - c0.pg) / wall),
      redis_cores: redisPids.length ? (c1.redis - c0.redis) / wall : null,
      bench_cores: (bench.user + bench.system) / 1000 / wall,
      load_avg_1m: loadAvg1(),
      pass: false,
      mono_us: [mono0, monoUs()],
    };
    step.pass = passes(step);
    const drainEnd = nowMs() + 60_000;
    while (now.deliveries - before.deliveries < expected && nowMs() < drainEnd) {
      await sleep(100);
      now = mergeStats(await t.pool.stats());
    }
    step.server_us_per_message_drained = Math.round((((processCpuMs(t.pid) ?? 0) - c0.server) * 1000) / messages);
    if (now.deliveries - before.deliveries < expected) {
      log(`  ${expected - (now.deliveries - before.deliveries)} deliveries still missing 60 s after the step: stopping`);
      step.pass = false;
    }
    return step;
  };
  log(`  warm-up: ${opts.rates[0]} msgs/s for ${opts.stepS} s (not measured)`);
  await runOne(opts.rates[0]!);
  for (const rate of opts.rates) {
    const s = await runOne(rate);
    steps.push(s);
    log(`  ${rate} msgs/s: ${(s.delivered_fraction * 100).toFixed(2)} % delivered, p50 ${s.p50} p99 ${s.p99} ms, server ${s.server_cores.toFixed(2)} cores, ${s.deliveries_per_server_cpu_s} deliveries/CPU-s, load ${s.load_avg_1m}${s.pass ? '' : ' → FAIL'}`);
    if (!s.pass && !opts.keepGoing) break;
  }
  return steps;
}

async function parleyTarget(opts: PinnedFanoutOptions, pin: Pinning, log: (m: string) => void, root?: string): Promise<Target> {
  const cluster = await startCluster({
    root,
    instances: 1,
    pgUrl: opts.pgUrl,
    redisUrl: opts.redisUrl,
    pinCore: pin.serverCore,
    env: { MAX_UNAUTHENTICATED_PER_IP: '10000', MAX_CONNECTIONS_PER_USER: '100' },
    profileArgs: opts.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : undefined,
  });
  const pool = new WorkerPool(opts.workers);
  const senders: FanoutSender[] = [];
  const stop = async () => {
    await Promise.all(senders.map((s) => s.close()));
    await pool.stop();
    await cluster.stop();
  };
  try {
    const server = cluster.servers[0]!;
    log(`  registering ${opts.members} users…`);
    const users = await registerMany([server.baseUrl], opts.members, 4, log);
    log('  creating the group…');
    const conv = await createGroup(new Api(server.baseUrl), users[0]!, users, 'fan-out bench');
    const sockets = opts.members * opts.devices;
    log(`  opening ${sockets} member sockets (${opts.devices} per member)…`);
    const specs = Array.from({ length: sockets }, (_, i) => ({ url: server.wsUrl, token: users[i % opts.members]!.token, localAddress: sourceAddress(i, opts.addresses) }));
    const { replies } = await pool.open('fanout', specs, 50, 30_000);
    const failed = replies.reduce((n, r) => n + r.failed, 0);
    if (failed) throw new Error(`${failed} member sockets failed to open: ${replies.flatMap((r) => r.errors).slice(0, 3).join('; ')}`);
    for (let j = 0; j < opts.senders; j++) senders.push(await parleySender(server.wsUrl, users[j]!.token, conv));
    return { pid: server.pid, senders, pool, recipients: sockets, stop, logs: () => server.logs() };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function referenceTarget(opts: PinnedFanoutOptions, pin: Pinning, log: (m: string) => void): Promise<Target> {
  const ceiling = await startCeiling(1, null, true);
  pinPid(ceiling.pids[0]!, pin.serverCore);
  const pool = new WorkerPool(opts.workers);
  const senders: FanoutSender[] = [];
  const stop = async () => {
    await Promise.all(senders.map((s) => s.close()));
    await pool.stop();
    await ceiling.stop();
  };
  try {
    const sockets = opts.members * opts.devices;
    log(`  opening ${sockets} sockets…`);
    await pool.open('fanout', Array.from({ length: sockets }, (_, i) => ({ url: ceiling.urls[0]!, localAddress: sourceAddress(i, opts.addresses) })), 50, 30_000);
    for (let j = 0; j < opts.senders; j++) senders.push(await rawSender(ceiling.urls[0]!));
    return { pid: ceiling.pids[0]!, senders, pool, recipients: sockets, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function runPinnedFanout(system: FanoutSystemRun['system'], opts: PinnedFanoutOptions, pin: Pinning, log: (m: string) => void): Promise<FanoutSystemRun> {
  log(`${system}: starting (pinned to core ${pin.serverCore})…`);
  const t0 = Date.now();
  const target = system === 'reference' ? await referenceTarget(opts, pin, log) : await parleyTarget(opts, pin, log, system === 'base' ? opts.baseRoot! : undefined);
  const setup_s = (Date.now() - t0) / 1000;
  try {
    await sleep(1000);
    const steps = await runSteps(target, opts, pin, log);
    const final = mergeStats(await target.pool.stats());
    return {
      system, steps, setup_s, duplicates: final.duplicates, closed_by_server: final.closedByPeer,
      send_errors: target.senders.reduce((n, s) => n + s.errors, 0), logs: target.logs?.(),
    };
  } finally {
    await target.stop();
  }
}
