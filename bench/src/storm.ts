/**
 * Reconnect storm: C clients (sockets of U users in G groups) on N Parley
 * instances (PostgreSQL + Redis) receive a steady stream of group messages;
 * then every client's TCP connection is terminated at once, and each one
 * reconnects immediately and resumes by cursor (`sync` after `ready`, paging
 * while `synced.limited`) while messages keep coming. Measures the time from
 * the drop until every client is ready, synced, and holds every message, and
 * counts messages lost (must be 0) and received twice (by seq, per client).
 *
 *   npm run bench:storm -- [--instances 3] [--clients 10000] [--users 100] [--groups 10]
 *                          [--rate 20] [--pre 3] [--during 3] [--wait 120] [--jitter 0]
 */
import { parseArgs } from 'node:util';
import { Api } from './lib/api.ts';
import { BenchClient } from './lib/client.ts';
import { startCluster, type Cluster } from './lib/cluster.ts';
import { Histogram, nowMs } from './lib/histogram.ts';
import { coresBetween, pidsByComm, sampleGroups, type ProcGroup } from './lib/proc.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './lib/report.ts';
import { createGroup, registerMany } from './lib/setup.ts';
import { sourceAddress, WorkerPool } from './lib/worker-pool.ts';
import type { StormStats } from './lib/worker-protocol.ts';

const { values: v } = parseArgs({
  options: {
    instances: { type: 'string', default: '3' },
    clients: { type: 'string', default: '10000' },
    users: { type: 'string', default: '100' },
    groups: { type: 'string', default: '10' },
    rate: { type: 'string', default: '20' },
    pre: { type: 'string', default: '3' },
    during: { type: 'string', default: '3' },
    wait: { type: 'string', default: '120' },
    jitter: { type: 'string', default: '0' },
    workers: { type: 'string', default: '0' },
    profile: { type: 'boolean', default: false },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    timeout: { type: 'string', default: '900' },
  },
  strict: true,
});
const clients = Number(v.clients);
const opts = {
  instances: Number(v.instances), clients, users: Number(v.users), groups: Number(v.groups), rate: Number(v.rate),
  preS: Number(v.pre), duringS: Number(v.during), waitS: Number(v.wait), jitterMs: Number(v.jitter),
  workers: Number(v.workers) || Math.max(2, Math.ceil(clients / 10_000)),
  addresses: Math.max(2, Math.ceil(clients / 20_000)), profile: v.profile,
  pgUrl: v['pg-url'], redisUrl: v['redis-url'], timeoutS: Number(v.timeout),
};
const log = (msg: string) => console.error(`[storm ${new Date().toISOString().slice(11, 19)}] ${msg}`);
setTimeout(() => {
  console.error(`overall timeout (${opts.timeoutS} s): giving up`);
  process.exit(2);
}, opts.timeoutS * 1000).unref();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One histogram from the bucket counts of several workers. */
function histogramOf(...parts: Array<StormStats['readyMs']>): Histogram {
  const h = new Histogram();
  for (const part of parts) h.merge(part);
  return h;
}
const pct = (data: StormStats['readyMs'], p: number) => Math.round(histogramOf(data).percentile(p));
const summary = (data: StormStats['readyMs']) => histogramOf(data).summary();

function sumStorm(list: StormStats[]): StormStats {
  const out = { ...list[0]!, errorSamples: [] as string[] };
  for (const k of ['ready', 'synced', 'complete', 'lost', 'duplicates', 'syncPages', 'reconnectRetries', 'errorFrames', 'pushesBeforeReady'] as const) out[k] = list.reduce((n, s) => n + s[k], 0);
  for (const k of ['lastReadyAt', 'lastSyncedAt', 'lastCompleteAt'] as const) out[k] = Math.max(...list.map((s) => s[k]));
  out.errorSamples = list.flatMap((s) => s.errorSamples).slice(0, 8);
  out.readyMs = histogramOf(...list.map((s) => s.readyMs)).toJSON();
  out.syncMs = histogramOf(...list.map((s) => s.syncMs)).toJSON();
  return out;
}

async function main(): Promise<number> {
  let cluster: Cluster | null = null;
  let pool: WorkerPool | null = null;
  const senders: BenchClient[] = [];
  try {
    log(`starting ${opts.instances} instances…`);
    cluster = await startCluster({
      instances: opts.instances, pgUrl: opts.pgUrl, redisUrl: opts.redisUrl,
      env: { MAX_CONNECTIONS_PER_USER: String(Math.ceil(clients / opts.users) + 10), MAX_UNAUTHENTICATED_PER_IP: '10000' },
      profileArgs: opts.profile ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : undefined,
    });
    const servers = cluster.servers;
    log(`registering ${opts.users} users, ${opts.groups} groups…`);
    const users = await registerMany(servers.map((s) => s.baseUrl), opts.users);
    const api = new Api(servers[0]!.baseUrl);
    const size = Math.ceil(opts.users / opts.groups);
    const owners = Array.from({ length: opts.groups }, (_, g) => users[g * size]!);
    const convs = await Promise.all(owners.map((o, g) => createGroup(api, o, users.slice(g * size, (g + 1) * size), `storm ${g}`)));
    const convOfUser = (u: number) => convs[Math.floor(u / size)]!;
    pool = new WorkerPool(opts.workers);
    log(`opening ${clients} clients over ${opts.workers} load processes…`);
    const specs = Array.from({ length: clients }, (_, i) => ({
      url: servers[i % servers.length]!.wsUrl, token: users[i % opts.users]!.token, conv: convOfUser(i % opts.users), localAddress: sourceAddress(i, opts.addresses),
    }));
    const { replies } = await pool.open('storm', specs, 100, 30_000);
    const failed = replies.reduce((n, r) => n + r.failed, 0);
    if (failed) throw new Error(`${failed} clients failed to connect: ${replies.flatMap((r) => r.errors).slice(0, 3).join('; ')}`);
    const base: Record<string, number> = {};
    for (const [g, c] of convs.entries()) base[c] = (await api.getConversation(owners[g]!, c)).last_seq;
    await pool.all({ op: 'base', base });

    const maxSeq: Record<string, number> = { ...base };
    let sent = 0, acked = 0, sendErrors = 0;
    for (const [g, o] of owners.entries()) {
      const c = await BenchClient.connect(servers[g % servers.length]!.wsUrl, o.token);
      c.onFrame((f) => {
        if (f.type === 'ack') (acked++, (maxSeq[convs[g]!] = Math.max(maxSeq[convs[g]!]!, f.seq)));
        else if (f.type === 'error') sendErrors++;
      });
      senders.push(c);
    }
    let sending = true;
    const sendLoop = (async () => {
      const t0 = performance.now();
      for (let k = 0; sending; k++) {
        const wait = t0 + (k * 1000) / opts.rate - performance.now();
        if (wait > 0) await sleep(wait);
        const g = k % opts.groups;
        senders[g]!.send({ type: 'send_message', id: `m${k}`, conversation_id: convs[g]!, message: { type: 'text', text: `storm ${k}`, client_msg_id: `m${k}` } });
        sent++;
      }
    })();
    const groups: ProcGroup[] = [
      ...servers.map((s, i) => ({ name: `server_${i}`, pids: () => [s.pid] })),
      { name: 'postgres', pids: () => pidsByComm('postgres') },
      { name: 'redis', pids: () => pidsByComm('redis-server') },
      { name: 'load_workers', pids: () => pool!.pids },
    ];
    log(`sending ${opts.rate} msg/s for ${opts.preS} s, then dropping all ${clients} clients…`);
    await sleep(opts.preS * 1000);
    const cpu0 = sampleGroups(groups);
    const sentBeforeDrop = sent;
    const dropAt = Math.min(...(await pool.all<number>({ op: 'drop', jitterMs: opts.jitterMs })));
    await sleep(opts.duringS * 1000);
    sending = false;
    await sendLoop;
    const sentDuringStorm = sent - sentBeforeDrop;
    for (let i = 0; i < 300 && acked + sendErrors < sent; i++) await sleep(100);
    await pool.all({ op: 'target', target: maxSeq });
    log(`sending stopped (${sent} sent, ${acked} acked); waiting until every client holds every message…`);
    let st = sumStorm((await pool.stats()).map((s) => s.storm!));
    const waitUntil = Date.now() + opts.waitS * 1000;
    while (st.complete < clients && Date.now() < waitUntil) {
      await sleep(250);
      st = sumStorm((await pool.stats()).map((s) => s.storm!));
    }
    const cores = coresBetween(cpu0, sampleGroups(groups));
    const workerStats = await pool.stats();
    const closedByServer = workerStats.reduce((n, s) => n + s.closedByPeer, 0);
    const secs = (t: number) => (t ? Math.round((t - dropAt) / 10) / 100 : null);
    const caughtUp = st.complete === clients ? secs(st.lastCompleteAt) : null;
    const ok = st.complete === clients && st.lost === 0 && acked === sent;
    const rows: Row[] = [
      ['clients (users × sockets each), groups × members', `${clients} (${opts.users} × ${Math.ceil(clients / opts.users)}), ${opts.groups} × ${size}`],
      ['messages sent / acked / errors (during the storm)', `${sent} / ${acked} / ${sendErrors} (${sentDuringStorm})`],
      ['clients ready / synced / complete', `${st.ready} / ${st.synced} / ${st.complete}`],
      ['s from drop to: all ready / all synced / all caught up', `${secs(st.lastReadyAt)} / ${secs(st.lastSyncedAt)} / ${caughtUp ?? `not within ${opts.waitS} s`}`],
      ['per client ms: drop → ready p50 / p99; sync → synced p50 / p99', `${pct(st.readyMs, 50)} / ${pct(st.readyMs, 99)}; ${pct(st.syncMs, 50)} / ${pct(st.syncMs, 99)}`],
      ['messages lost (sum over clients)', st.lost],
      ['messages received twice (by seq)', st.duplicates],
      ['sync requests, reconnect retries, error frames', `${st.syncPages}, ${st.reconnectRetries}, ${st.errorFrames}`],
      ['sockets closed by server; pushes before ready', `${closedByServer}; ${st.pushesBeforeReady}`],
      ['cores, drop → end', Object.entries(cores).map(([k, c]) => `${k} ${c}`).join(', ')],
    ];
    printTable(`Parley reconnect storm — ${clients} clients on ${opts.instances} instances`, rows);
    const path = await writeResult('storm', `${opts.instances}x${clients}`, {
      scenario: 'storm', date: new Date().toISOString(), ok, code: codeVersion(), machine: machineInfo(), params: opts,
      sent, sent_during_storm: sentDuringStorm, acked, send_errors: sendErrors, storm: st, closed_by_server: closedByServer,
      latency_ms: { drop_to_ready: summary(st.readyMs), sync: summary(st.syncMs) },
      seconds: { all_ready: secs(st.lastReadyAt), all_synced: secs(st.lastSyncedAt), all_caught_up: caughtUp }, cores,
      server_logs: servers.map((s) => s.logs()),
    });
    console.log(`\nresult: ${ok ? 'PASS' : 'FAIL'}; written to ${path}`);
    return ok ? 0 : 1;
  } finally {
    await Promise.all(senders.map((s) => s.close()));
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
