/**
 * Group fan-out across N Parley instances (PostgreSQL + Redis), side by side
 * with a bare-ws ceiling: one group of M members, each member's socket on
 * instance i mod N (opened by several load-generator processes), S senders
 * posting at a fixed rate. Reports deliveries/s (messages × recipient sockets
 * that received them), send→receive latency and CPU per process, then does the
 * same with the same M sockets on N bare `ws` broadcast processes (Redis
 * pub/sub between them), and gives Parley's deliveries/s as a fraction of it.
 *
 *   npm run bench:fanout -- [--instances 3] [--members 1000] [--senders 4] [--rate 50]
 *                           [--messages 300] [--workers 2] [--ceiling redis|local|none] [--ceiling-cork yes|no] [--profile]
 *   npm run bench:fanout -- --pin [--members 2000] [--rates …]: per core, see lib/pinned-fanout-cli.ts
 */
import { parseArgs } from 'node:util';
import { pinnedFanoutMain } from './lib/pinned-fanout-cli.ts';
import { Api } from './lib/api.ts';
import { startCeiling } from './lib/ceiling.ts';
import { startCluster, type Cluster } from './lib/cluster.ts';
import { parleySender, rawSender, runFanoutPhase, type FanoutSender, type PhaseOutcome } from './lib/fanout-run.ts';
import { pidsByComm, type ProcGroup } from './lib/proc.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './lib/report.ts';
import { createGroup, registerMany } from './lib/setup.ts';
import { sourceAddress, WorkerPool } from './lib/worker-pool.ts';

const PIN = process.argv.includes('--pin');
const { values: v } = parseArgs({
  args: PIN ? [] : process.argv.slice(2), // --pin has its own flags (lib/pinned-fanout-cli.ts)
  options: {
    instances: { type: 'string', default: '3' },
    // A group holds at most MAX_GROUP_MEMBERS (1000), its creator included.
    members: { type: 'string', default: '1000' },
    senders: { type: 'string', default: '4' },
    rate: { type: 'string', default: '50' },
    messages: { type: 'string', default: '300' },
    workers: { type: 'string', default: '2' },
    addresses: { type: 'string', default: '4' },
    ceiling: { type: 'string', default: 'redis' },
    'ceiling-cork': { type: 'string', default: 'yes' },
    threshold: { type: 'string', default: '100' },
    profile: { type: 'boolean', default: false },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    timeout: { type: 'string', default: '900' },
  },
  strict: true,
});
const opts = {
  instances: Number(v.instances),
  members: Number(v.members),
  senders: Number(v.senders),
  rate: Number(v.rate),
  messages: Number(v.messages),
  workers: Number(v.workers),
  addresses: Number(v.addresses),
  ceiling: v.ceiling as 'redis' | 'local' | 'none',
  ceilingCork: v['ceiling-cork'] !== 'no',
  threshold: Number(v.threshold),
  profile: v.profile,
  pgUrl: v['pg-url'],
  redisUrl: v['redis-url'],
  timeoutS: Number(v.timeout),
};
const log = (msg: string) => console.error(`[fanout ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const endAt = Date.now() + opts.timeoutS * 1000;
const hardStop = setTimeout(() => {
  console.error(`overall timeout (${opts.timeoutS} s): giving up`);
  process.exit(2);
}, (opts.timeoutS + 60) * 1000);
hardStop.unref();
if (PIN) clearTimeout(hardStop);

function groups(serverPids: number[], pool: WorkerPool): ProcGroup[] {
  return [
    ...serverPids.map((pid, i) => ({ name: `server_${i}`, pids: () => [pid] })),
    { name: 'postgres', pids: () => pidsByComm('postgres') },
    { name: 'redis', pids: () => pidsByComm('redis-server') },
    { name: 'load_workers', pids: () => pool.pids },
    { name: 'coordinator', pids: () => [process.pid] },
  ];
}

async function parleyRun(): Promise<{ phase: PhaseOutcome; setup: Record<string, number>; connectFailed: number; logs: unknown }> {
  let cluster: Cluster | null = null;
  let pool: WorkerPool | null = null;
  const senders: FanoutSender[] = [];
  const setup: Record<string, number> = {};
  try {
    log(`starting ${opts.instances} Parley instances (PostgreSQL + Redis)…`);
    let t = Date.now();
    cluster = await startCluster({
      instances: opts.instances,
      pgUrl: opts.pgUrl,
      redisUrl: opts.redisUrl,
      env: { LARGE_ROOM_THRESHOLD: String(opts.threshold), MAX_UNAUTHENTICATED_PER_IP: '10000', MAX_CONNECTIONS_PER_USER: '100' },
      profileArgs: opts.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : undefined,
    });
    setup.start_s = (Date.now() - t) / 1000;
    const servers = cluster.servers;
    log(`registering ${opts.members} users…`);
    t = Date.now();
    const users = await registerMany(servers.map((s) => s.baseUrl), opts.members, 4, log);
    setup.register_s = (Date.now() - t) / 1000;
    t = Date.now();
    const conv = await createGroup(new Api(servers[0]!.baseUrl), users[0]!, users, 'fan-out bench');
    setup.group_s = (Date.now() - t) / 1000;
    log(`opening ${opts.members} member sockets over ${opts.workers} load processes…`);
    pool = new WorkerPool(opts.workers);
    t = Date.now();
    const specs = users.map((u, i) => ({ url: servers[i % servers.length]!.wsUrl, token: u.token, localAddress: sourceAddress(i, opts.addresses) }));
    const { replies } = await pool.open('fanout', specs, 50, 30_000);
    setup.connect_s = (Date.now() - t) / 1000;
    const connectFailed = replies.reduce((n, r) => n + r.failed, 0);
    if (connectFailed) log(`  ${connectFailed} sockets failed: ${replies.flatMap((r) => r.errors).slice(0, 3).join('; ')}`);
    for (let j = 0; j < opts.senders; j++) senders.push(await parleySender(servers[j % servers.length]!.wsUrl, users[j]!.token, conv));
    await new Promise((r) => setTimeout(r, 1000));
    log(`sending ${opts.messages} messages at ${opts.rate}/s to ${opts.members} members…`);
    const phase = await runFanoutPhase({
      senders, pool, messages: opts.messages, rate: opts.rate, recipients: opts.members - connectFailed,
      groups: groups(servers.map((s) => s.pid), pool), stallMs: 20_000, untilMs: endAt,
    });
    return { phase, setup, connectFailed, logs: servers.map((s) => s.logs()) };
  } finally {
    await Promise.all(senders.map((s) => s.close()));
    await pool?.stop();
    await cluster?.stop();
  }
}

async function ceilingRun(): Promise<PhaseOutcome> {
  log(`starting ${opts.instances} bare-ws ceiling servers (${opts.ceiling})…`);
  const ceiling = await startCeiling(opts.instances, opts.ceiling === 'redis' ? opts.redisUrl : null, opts.ceilingCork);
  const pool = new WorkerPool(opts.workers);
  const senders: FanoutSender[] = [];
  try {
    const specs = Array.from({ length: opts.members }, (_, i) => ({ url: ceiling.urls[i % ceiling.urls.length]!, localAddress: sourceAddress(i, opts.addresses) }));
    await pool.open('fanout', specs, 50, 30_000);
    const senderUrls = opts.ceiling === 'local' ? [ceiling.urls[0]!] : ceiling.urls;
    for (let j = 0; j < opts.senders; j++) senders.push(await rawSender(senderUrls[j % senderUrls.length]!));
    await new Promise((r) => setTimeout(r, 1000));
    log(`ceiling: sending ${opts.messages} frames at ${opts.rate}/s…`);
    // Local-only broadcast reaches only the sockets on the sender's process.
    const recipients = opts.ceiling === 'local' ? Math.ceil(opts.members / opts.instances) : opts.members;
    return await runFanoutPhase({ senders, pool, messages: opts.messages, rate: opts.rate, recipients, groups: groups(ceiling.pids, pool), stallMs: 20_000, untilMs: endAt });
  } finally {
    await Promise.all(senders.map((s) => s.close()));
    await pool.stop();
    await ceiling.stop();
  }
}

function phaseRows(label: string, p: PhaseOutcome): Row[] {
  return [
    [label, undefined],
    ['outcome', p.outcome],
    ['messages sent / acked / errors', `${p.sent} / ${p.acks} / ${p.errors}`],
    ['deliveries (received / expected)', `${p.deliveries} / ${p.expected}`],
    ['duplicates, sockets closed by server', `${p.duplicates}, ${p.closedByPeer}`],
    ['offered send rate msg/s', Math.round(p.sendRate)],
    ['deliveries/s', Math.round(p.deliveriesPerS)],
    ['send→receive ms p50 / p95 / p99 / max', `${p.latency.p50} / ${p.latency.p95} / ${p.latency.p99} / ${p.latency.max}`],
    ['cores used', Object.entries(p.cores).map(([k, c]) => `${k} ${c}`).join(', ')],
  ];
}

async function main(): Promise<number> {
  const parley = await parleyRun();
  const ceiling = opts.ceiling === 'none' ? null : await ceilingRun();
  const fraction = ceiling ? parley.phase.deliveriesPerS / ceiling.deliveriesPerS : null;
  const ok = parley.phase.outcome === 'done' && parley.phase.duplicates === 0 && parley.connectFailed === 0;
  const rows: Row[] = [
    ['setup s (start / register / group / connect)', `${parley.setup.start_s} / ${parley.setup.register_s} / ${parley.setup.group_s} / ${parley.setup.connect_s}`],
    ...phaseRows(`Parley: ${opts.instances} instances, ${opts.members} members, ${opts.senders} senders`, parley.phase),
    ...(ceiling ? phaseRows(`bare-ws ceiling (${opts.ceiling})`, ceiling) : []),
    ['Parley deliveries/s ÷ ceiling', fraction === null ? null : `${(fraction * 100).toFixed(1)} %`],
  ];
  printTable('Parley group fan-out', rows);
  const path = await writeResult('fanout', `${opts.instances}x${opts.members}`, {
    scenario: 'fanout', date: new Date().toISOString(), ok, code: codeVersion(), machine: machineInfo(), params: { ...opts },
    setup: parley.setup, parley: parley.phase, ceiling, fraction_of_ceiling: fraction, connect_failed: parley.connectFailed, server_logs: parley.logs,
  });
  console.log(`\nresult: ${ok ? 'PASS' : 'FAIL'}; written to ${path}`);
  return ok ? 0 : 1;
}

(PIN ? pinnedFanoutMain(process.argv.slice(2)) : main()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
