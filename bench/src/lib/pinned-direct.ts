import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, mapLimit } from './api.ts';
import { BenchClient } from './client.ts';
import { startCluster } from './cluster.ts';
import { postgresCpuMs, processCpuMs } from './cpu.ts';
import { pinPid, type Pinning } from './pin.ts';
import { pidsByComm } from './proc.ts';
import { startReferenceDirect } from './reference.ts';
import { sampleStages, stagesBetween } from './send-stages.ts';
import { registerMany } from './setup.ts';
import { loadAvg1, monoUs, passes, percentileWithMissing, type StepResult } from './steps.ts';
import { DeliveryTracker } from './tracker.ts';

export interface PinnedDirectOptions {
  pairs: number;
  rates: number[];
  stepS: number;
  graceS: number;
  pgUrl: string;
  redisUrl: string;
  profile: boolean;
  /** Run every step even after one fails (CPU per message at each rate on a noisy machine). */
  keepGoing: boolean;
  /** Checkout whose server runs as system `base` (same-run before/after). */
  baseRoot: string | null;
}

export interface SystemRun {
  /** `base`: Parley from `baseRoot`, another checkout (the code before a change). */
  system: 'parley' | 'reference' | 'base';
  steps: StepResult[];
  setup_s: number;
  /** Frames or integrity problems seen over the whole run (all steps). */
  problems: { error_frames: number; seq_violations: number; unknown_frames: number; duplicated: number; server_duplicate_acks: number };
  logs?: unknown;
}

interface Target {
  pid: number;
  /** The server's metrics listener (Parley only): the step's send stages are read there. */
  metricsUrl?: string;
  lanes: { sender: BenchClient; recipient: BenchClient; conversation: string }[];
  stop(): Promise<void>;
  logs?: () => unknown;
}

const cpuOf = (pids: number[]) => pids.reduce((n, p) => n + (processCpuMs(p) ?? 0), 0);

/**
 * One system's stepped run: every step offers `rate` messages/s for `stepS`
 * seconds, spread evenly over the senders (open loop, latency from the
 * scheduled send time), waits at most `graceS` after the last send for the
 * deliveries, then drains whatever is still in flight (not measured) before
 * the next step. Stops after the first failing step.
 */
async function runSteps(target: Target, opts: PinnedDirectOptions, pin: Pinning, log: (m: string) => void): Promise<Omit<SystemRun, 'system' | 'setup_s'>> {
  const { lanes } = target;
  let tracker = new DeliveryTracker((p) => lanes[p]!.conversation);
  const all: DeliveryTracker[] = [];
  lanes.forEach((l, p) => {
    l.sender.onFrame((f, at) => tracker.handle(p, 'sender', f, at));
    l.recipient.onFrame((f, at) => tracker.handle(p, 'recipient', f, at));
  });
  const steps: StepResult[] = [];
  let serial = 0;
  const runOne = async (rate: number, measured: boolean): Promise<StepResult | null> => {
    tracker = new DeliveryTracker((p) => lanes[p]!.conversation);
    all.push(tracker);
    const tr = tracker;
    const perLane = Math.max(1, Math.round((rate * opts.stepS) / lanes.length));
    const total = perLane * lanes.length;
    const interval = (1000 * lanes.length) / rate;
    const stagger = 1000 / rate;
    const sent = new Array<number>(lanes.length).fill(0);
    const tag = `s${serial++}x`;
    pin.repin(); // PostgreSQL backends started since the last step inherit core 1 anyway; cheap to repeat
    const pgPids = pidsByComm('postgres');
    const redisPids = pidsByComm('redis-server');
    const stages0 = await sampleStages(target.metricsUrl);
    const c0 = { server: processCpuMs(target.pid) ?? 0, pg: postgresCpuMs(), redis: cpuOf(redisPids), bench: process.cpuUsage() };
    const start = performance.now() + 20;
    const mono0 = monoUs();
    const dueAt = (i: number) => start + i * stagger + sent[i]! * interval;
    let remaining = total;
    while (remaining > 0) {
      const now = performance.now();
      let next = Infinity;
      for (let i = 0; i < lanes.length; i++) {
        while (sent[i]! < perLane && dueAt(i) <= now) {
          const due = dueAt(i);
          const n = sent[i]!++;
          remaining--;
          const id = `${tag}${i}-${n}`;
          tr.track(id, i, due, true);
          lanes[i]!.sender.send({ type: 'send_message', id, conversation_id: lanes[i]!.conversation, message: { type: 'text', text: `bench ${n}`, client_msg_id: id } });
        }
        if (sent[i]! < perLane) next = Math.min(next, dueAt(i));
      }
      if (remaining > 0) await sleep(Math.max(0, next - performance.now()));
    }
    const sendsDone = performance.now();
    const graceEnd = Math.max(sendsDone, start + opts.stepS * 1000) + opts.graceS * 1000;
    while (tr.deliveryLatencies.length < total && performance.now() < graceEnd) await sleep(10);
    const end = tr.deliveryLatencies.length >= total ? tr.lastDeliveryAt : performance.now();
    const bench = process.cpuUsage(c0.bench);
    const c1 = { server: processCpuMs(target.pid) ?? 0, pg: postgresCpuMs(), redis: cpuOf(redisPids) };
    void pgPids;
    const wall = end - start;
    const lat = tr.deliveryLatencies.slice().sort((a, b) => a - b);
    const delivered = lat.length;
    const serverMs = c1.server - c0.server;
    const step: StepResult = {
      rate,
      sent: total,
      expected: total,
      delivered,
      delivered_fraction: delivered / total,
      p50: percentileWithMissing(lat, total, 50),
      p95: percentileWithMissing(lat, total, 95),
      p99: percentileWithMissing(lat, total, 99),
      max: delivered === total ? Math.round(lat[lat.length - 1]! * 100) / 100 : null,
      duration_s: Math.round(wall) / 1000,
      server_cores: serverMs / wall,
      server_cpu_ms: serverMs,
      server_us_per_message: delivered ? Math.round((serverMs * 1000) / delivered) : null,
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
    if (target.metricsUrl) step.stages = stagesBetween(stages0, await sampleStages(target.metricsUrl));
    // Drain: everything still in flight arrives before the next step starts.
    const drainEnd = performance.now() + 60_000;
    while (tr.deliveryLatencies.length < total && performance.now() < drainEnd) await sleep(20);
    step.server_us_per_message_drained = Math.round((((processCpuMs(target.pid) ?? 0) - c0.server) * 1000) / total);
    if (tr.deliveryLatencies.length < total) {
      log(`  ${total - tr.deliveryLatencies.length} messages still undelivered 60 s after the step: stopping`);
      step.pass = false;
    }
    return measured ? step : null;
  };
  log(`  warm-up: ${opts.rates[0]} msgs/s for ${opts.stepS} s (not measured)`);
  await runOne(opts.rates[0]!, false);
  for (const rate of opts.rates) {
    const s = (await runOne(rate, true))!;
    steps.push(s);
    log(`  ${rate} msgs/s: ${(s.delivered_fraction * 100).toFixed(2)} % delivered, p50 ${s.p50} p99 ${s.p99} ms, server ${s.server_cores.toFixed(2)} cores, ${s.server_us_per_message} µs/msg (${s.server_us_per_message_drained} drained), load ${s.load_avg_1m}${s.pass ? '' : ' → FAIL'}`);
    if (s.stages) log(`    on the server (means): send_message ${s.stages.frame_ms} ms, of which writer wait ${s.stages.write_wait_ms} + batch ${s.stages.batch_ms} ms (${s.stages.batch_size} sends per batch)`);
    if (!s.pass && !opts.keepGoing) break;
  }
  const problems = { error_frames: 0, seq_violations: 0, unknown_frames: 0, duplicated: 0, server_duplicate_acks: 0 };
  for (const t of all) {
    problems.error_frames += t.errors.count;
    problems.seq_violations += t.seqViolations;
    problems.unknown_frames += t.unknownFrames;
    problems.duplicated += t.integrity().duplicated;
    problems.server_duplicate_acks += t.serverDuplicateAcks;
  }
  return { steps, problems };
}

/** One pinned Parley instance (PostgreSQL + Redis, like a scaled-out deployment of one). */
async function parleyTarget(opts: PinnedDirectOptions, pin: Pinning, log: (m: string) => void, root?: string): Promise<Target> {
  const cluster = await startCluster({
    root,
    instances: 1,
    pgUrl: opts.pgUrl,
    redisUrl: opts.redisUrl,
    pinCore: pin.serverCore,
    env: { MAX_UNAUTHENTICATED_PER_IP: '10000' },
    profileArgs: opts.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : undefined,
  });
  const clients: BenchClient[] = [];
  try {
    const server = cluster.servers[0]!;
    log(`  registering ${opts.pairs * 2} users…`);
    const users = await registerMany([server.baseUrl], opts.pairs * 2, 4);
    const api = new Api(server.baseUrl);
    const convs = await mapLimit(Array.from({ length: opts.pairs }, (_, p) => p), 4, (p) => api.createDirect(users[2 * p]!, users[2 * p + 1]!));
    log(`  opening ${users.length} sockets…`);
    const sockets = await mapLimit(users, 8, async (u) => {
      const c = await BenchClient.connect(server.wsUrl, u.token);
      clients.push(c);
      return c;
    });
    return {
      pid: server.pid,
      metricsUrl: server.metricsUrl,
      lanes: convs.map((conversation, p) => ({ sender: sockets[2 * p]!, recipient: sockets[2 * p + 1]!, conversation })),
      logs: () => server.logs(),
      stop: async () => {
        await Promise.all(clients.map((c) => c.close()));
        await cluster.stop();
      },
    };
  } catch (err) {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
    throw err;
  }
}

async function referenceTarget(opts: PinnedDirectOptions, pin: Pinning, log: (m: string) => void): Promise<Target> {
  const ref = await startReferenceDirect(opts.pgUrl);
  pinPid(ref.pid, pin.serverCore);
  const clients: BenchClient[] = [];
  try {
    log(`  opening ${opts.pairs * 2} sockets…`);
    const lanes = await mapLimit(Array.from({ length: opts.pairs }, (_, p) => p), 8, async (p) => {
      const sender = await BenchClient.connect(ref.wsUrl, `u${2 * p}.c${p}`);
      const recipient = await BenchClient.connect(ref.wsUrl, `u${2 * p + 1}.c${p}`);
      clients.push(sender, recipient);
      return { sender, recipient, conversation: `c${p}` };
    });
    return {
      pid: ref.pid,
      lanes,
      stop: async () => {
        await Promise.all(clients.map((c) => c.close()));
        await ref.stop();
      },
    };
  } catch (err) {
    await Promise.all(clients.map((c) => c.close()));
    await ref.stop();
    throw err;
  }
}

export async function runPinnedDirect(system: SystemRun['system'], opts: PinnedDirectOptions, pin: Pinning, log: (m: string) => void): Promise<SystemRun> {
  log(`${system}: starting (pinned to core ${pin.serverCore})…`);
  const t = performance.now();
  const target = system === 'reference' ? await referenceTarget(opts, pin, log) : await parleyTarget(opts, pin, log, system === 'base' ? opts.baseRoot! : undefined);
  const setup_s = Math.round(performance.now() - t) / 1000;
  try {
    await sleep(500);
    const run = await runSteps(target, opts, pin, log);
    return { system, setup_s, ...run, logs: target.logs?.() };
  } finally {
    await target.stop();
  }
}
