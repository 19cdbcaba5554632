/**
 * Idle authenticated connections: N sockets per instance over K Parley
 * instances (PostgreSQL + Redis), opened by several load-generator processes
 * from several loopback source addresses, using the tokens of a handful of
 * users. Reports the connect rate, each instance's RSS and V8 heap before and
 * after (per connection), CPU while connecting and while idle, and the load
 * generator's own memory and CPU.
 *
 *   npm run bench:idle -- [--instances 3] [--per-instance 10000] [--workers auto] [--hold 10] [--gc yes|no] [--profile]
 *                          [--heap-snapshot DIR]  (one .heapsnapshot per instance, with the sockets open)
 */
import { parseArgs } from 'node:util';
import { startCluster, type Cluster } from './lib/cluster.ts';
import { collectGarbage, writeHeapSnapshot } from './lib/inspector.ts';
import { coresBetween, pidsByComm, rssBytes, sampleGroups, scrapeMetric, type ProcGroup } from './lib/proc.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './lib/report.ts';
import { registerMany } from './lib/setup.ts';
import { mergeStats, sourceAddress, WorkerPool } from './lib/worker-pool.ts';

const { values: v } = parseArgs({
  options: {
    instances: { type: 'string', default: '3' },
    'per-instance': { type: 'string', default: '10000' },
    workers: { type: 'string', default: '0' },
    users: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '100' },
    settle: { type: 'string', default: '5' },
    gc: { type: 'string', default: 'yes' },
    hold: { type: 'string', default: '10' },
    profile: { type: 'boolean', default: false },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    timeout: { type: 'string', default: '900' },
    'heap-snapshot': { type: 'string', default: '' },
  },
  strict: true,
});
const instances = Number(v.instances);
const perInstance = Number(v['per-instance']);
const total = instances * perInstance;
const opts = {
  instances,
  perInstance,
  total,
  // ≤ 15,000 sockets per load process (20,000 open files each), and 28k ephemeral ports per source address.
  workers: Number(v.workers) || Math.max(2, Math.ceil(total / 15_000)),
  users: Number(v.users) || Math.max(4, Math.ceil(total / 5000)),
  addresses: Math.max(2, Math.ceil(total / 20_000)),
  concurrency: Number(v.concurrency),
  settleS: Number(v.settle),
  gc: v.gc !== 'no',
  holdS: Number(v.hold),
  profile: v.profile,
  pgUrl: v['pg-url'],
  redisUrl: v['redis-url'],
  timeoutS: Number(v.timeout),
  heapSnapshotDir: v['heap-snapshot'] || null,
};
if (opts.heapSnapshotDir && !opts.gc) throw new Error('--heap-snapshot needs the inspector: drop --gc no');
if (perInstance > 19_500) throw new Error('--per-instance must stay under ~19,500: a process may hold at most 20,000 open files');
const log = (msg: string) => console.error(`[idle ${new Date().toISOString().slice(11, 19)}] ${msg}`);
setTimeout(() => {
  console.error(`overall timeout (${opts.timeoutS} s): giving up`);
  process.exit(2);
}, opts.timeoutS * 1000).unref();
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const MB = 2 ** 20;
const HEAP = 'parley_nodejs_heap_size_used_bytes';
const CONNS = 'parley_ws_connections';

async function memory(cluster: Cluster) {
  return Promise.all(
    cluster.servers.map(async (s) => {
      if (opts.gc) await collectGarbage(s.inspectorUrl!);
      const m = await scrapeMetric(s.metricsUrl, [HEAP, CONNS]);
      return { rss: rssBytes(s.pid) ?? Number.NaN, heap: m[HEAP] ?? Number.NaN, connections: m[CONNS] ?? Number.NaN };
    }),
  );
}

/** With --heap-snapshot: one snapshot per instance (compare the one with 0 sockets and the one with N in DevTools). */
async function snapshots(cluster: Cluster, sockets: number): Promise<void> {
  if (!opts.heapSnapshotDir) return;
  for (const [i, s] of cluster.servers.entries()) {
    const path = `${opts.heapSnapshotDir}/idle-${i}-${sockets}.heapsnapshot`;
    log(`heap snapshot of instance ${i} → ${path}`);
    await writeHeapSnapshot(s.inspectorUrl!, path);
  }
}

async function main(): Promise<number> {
  let cluster: Cluster | null = null;
  let pool: WorkerPool | null = null;
  try {
    log(`starting ${instances} instances…`);
    cluster = await startCluster({
      instances, pgUrl: opts.pgUrl, redisUrl: opts.redisUrl,
      env: { MAX_CONNECTIONS_PER_USER: '10000', MAX_UNAUTHENTICATED_PER_IP: '10000' },
      profileArgs: opts.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : undefined,
      nodeArgs: opts.gc ? ['--inspect=127.0.0.1:0'] : [],
    });
    const servers = cluster.servers;
    log(`registering ${opts.users} users…`);
    const users = await registerMany(servers.map((s) => s.baseUrl), opts.users);
    pool = new WorkerPool(opts.workers);
    const groups: ProcGroup[] = [
      ...servers.map((s, i) => ({ name: `server_${i}`, pids: () => [s.pid] })),
      { name: 'load_workers', pids: () => pool!.pids },
      { name: 'postgres', pids: () => pidsByComm('postgres') },
      { name: 'redis', pids: () => pidsByComm('redis-server') },
    ];
    await sleep(2);
    await snapshots(cluster, 0);
    const before = await memory(cluster);
    const workersBefore = mergeStats(await pool.stats());
    log(`opening ${total} sockets (${perInstance} per instance) from ${opts.workers} load processes, ${opts.addresses} source addresses…`);
    const specs = Array.from({ length: total }, (_, i) => ({
      url: servers[i % instances]!.wsUrl,
      token: users[i % users.length]!.token,
      localAddress: sourceAddress(i, opts.addresses),
    }));
    const cpu0 = sampleGroups(groups);
    const t0 = performance.now();
    const { replies, connectMs } = await pool.open('idle', specs, opts.concurrency, 30_000);
    const connectS = (performance.now() - t0) / 1000;
    const connectCores = coresBetween(cpu0, sampleGroups(groups));
    const failed = replies.reduce((n, r) => n + r.failed, 0);
    log(`opened ${total - failed} in ${connectS.toFixed(1)} s (${failed} failed${failed ? `: ${replies.flatMap((r) => r.errors).slice(0, 3).join('; ')}` : ''}); settling ${opts.settleS} s…`);
    await sleep(opts.settleS);
    const after = await memory(cluster);
    const cpu1 = sampleGroups(groups);
    log(`holding ${opts.holdS} s idle…`);
    await sleep(opts.holdS);
    const idleCores = coresBetween(cpu1, sampleGroups(groups));
    await snapshots(cluster, perInstance);
    const ws = await pool.stats();
    const w = mergeStats(ws);
    const perServer = servers.map((s, i) => {
      const conns = after[i]!.connections;
      return {
        instance: i,
        pid: s.pid,
        connections: conns,
        rss_before_mb: before[i]!.rss / MB,
        rss_after_mb: after[i]!.rss / MB,
        rss_per_conn_kb: (after[i]!.rss - before[i]!.rss) / conns / 1024,
        heap_before_mb: before[i]!.heap / MB,
        heap_after_mb: after[i]!.heap / MB,
        heap_per_conn_kb: (after[i]!.heap - before[i]!.heap) / conns / 1024,
      };
    });
    const open = w.open;
    const json = {
      scenario: 'idle', date: new Date().toISOString(), code: codeVersion(), machine: machineInfo(), params: opts,
      ok: failed === 0 && w.closedByPeer === 0,
      connect: { opened: total - failed, failed, errors: replies.flatMap((r) => r.errors), seconds: connectS, per_second: (total - failed) / connectS, latency_ms: connectMs.summary() },
      open_after_hold: open,
      closed_by_server: w.closedByPeer,
      close_codes: ws.map((s) => s.closeCodes),
      servers: perServer,
      cores_while_connecting: connectCores,
      cores_while_idle: idleCores,
      load_generator: {
        processes: opts.workers,
        rss_mb: w.rssBytes / MB,
        rss_per_socket_kb: (w.rssBytes - workersBefore.rssBytes) / Math.max(1, total - failed) / 1024,
        heap_per_socket_kb: (w.heapUsedBytes - workersBefore.heapUsedBytes) / Math.max(1, total - failed) / 1024,
        cpu_s_total: ws.reduce((n, s) => n + s.cpuMs, 0) / 1000,
      },
      server_logs: servers.map((s) => s.logs()),
    };
    const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');
    const rows: Row[] = [
      ['sockets opened / failed', `${total - failed} / ${failed}`],
      ['connect time s, rate /s', `${f(connectS)}, ${Math.round(json.connect.per_second)}`],
      ['connect latency ms p50 / p99 / max', `${json.connect.latency_ms.p50} / ${json.connect.latency_ms.p99} / ${json.connect.latency_ms.max}`],
      ['still open after hold, closed by server', `${open}, ${w.closedByPeer}`],
      ['per instance', undefined],
      ...perServer.map((p): Row => [
        `  #${p.instance}: conns, RSS MB before→after, KB/conn; heap KB/conn`,
        `${p.connections}, ${f(p.rss_before_mb)}→${f(p.rss_after_mb)}, ${f(p.rss_per_conn_kb, 2)}; ${f(p.heap_per_conn_kb, 2)}`,
      ]),
      ['cores while connecting', Object.entries(connectCores).map(([k, c]) => `${k} ${c}`).join(', ')],
      ['cores while idle', Object.entries(idleCores).map(([k, c]) => `${k} ${c}`).join(', ')],
      ['load generator: processes, RSS MB, KB/socket', `${opts.workers}, ${f(json.load_generator.rss_mb)}, ${f(json.load_generator.rss_per_socket_kb, 2)}`],
    ];
    printTable(`Parley idle connections — ${instances} × ${perInstance}`, rows);
    const path = await writeResult('idle', `${instances}x${perInstance}`, json);
    console.log(`\nresult: ${json.ok ? 'PASS' : 'FAIL'}; written to ${path}`);
    return json.ok ? 0 : 1;
  } finally {
    await pool?.stop();
    await cluster?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
