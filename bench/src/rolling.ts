/**
 * Zero-loss rolling restart: N Parley instances (real processes, PostgreSQL +
 * Redis) behind nginx, SDK clients (`ParleyClient`, one user each) chatting
 * through nginx at a steady rate in direct and group conversations; then
 * every instance in turn gets SIGTERM (it drains, closes sockets with 1012,
 * exits), its clients reconnect through nginx to another instance and resume
 * by cursor, and it is started again on its port before the next one goes.
 * Reports messages sent / acked, lost (acked but never delivered to a
 * recipient: must be 0), doubled (delivered twice to an app, or stored twice:
 * must be 0), and delivery latency (send → recipient's app) in steady state
 * against during the restarts.
 *
 *   npm run bench:rolling -- [--instances 3] [--clients 60] [--group-users 30] [--group-size 5]
 *                            [--rate 20] [--steady 15] [--gap 5] [--after 10] [--wait 60] [--max-fails 0]
 */
import { parseArgs } from 'node:util';
import { freePort, startNginx, which } from '../../packages/server/test/support/processes.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './lib/report.ts';
import { runRolling, type RollingFleet } from './lib/rolling-run.ts';
import { createScratchDatabase } from './lib/scratch-database.ts';
import { startServer, type ServerProcess } from './lib/server-process.ts';
import { deleteRedisKeys } from './lib/cluster.ts';

const { values: v } = parseArgs({
  options: {
    instances: { type: 'string', default: '3' },
    clients: { type: 'string', default: '60' },
    'group-users': { type: 'string', default: '30' },
    'group-size': { type: 'string', default: '5' },
    rate: { type: 'string', default: '20' },
    steady: { type: 'string', default: '15' },
    gap: { type: 'string', default: '5' },
    after: { type: 'string', default: '10' },
    wait: { type: 'string', default: '60' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    nginx: { type: 'string', default: process.env.NGINX_BIN ?? which('nginx') ?? '/usr/sbin/nginx' },
    // nginx's max_fails on each upstream server: 0 as deploy/nginx ships it; 1 shows why.
    'max-fails': { type: 'string', default: '0' },
    timeout: { type: 'string', default: '900' },
  },
  strict: true,
});
const opts = {
  instances: Number(v.instances), clients: Number(v.clients), groupUsers: Number(v['group-users']), groupSize: Number(v['group-size']),
  rate: Number(v.rate), steadyMs: Number(v.steady) * 1000, gapMs: Number(v.gap) * 1000, afterMs: Number(v.after) * 1000,
  waitMs: Number(v.wait) * 1000, maxFails: Number(v['max-fails']),
};
const log = (msg: string) => console.error(`[rolling ${new Date().toISOString().slice(11, 19)}] ${msg}`);
setTimeout(() => {
  console.error(`overall timeout (${v.timeout} s): giving up`);
  process.exit(2);
}, Number(v.timeout) * 1000).unref();

async function main(): Promise<number> {
  const scratch = await createScratchDatabase(v['pg-url']);
  const redisPrefix = `parley_bench_${Math.random().toString(16).slice(2, 10)}:`;
  const ports = await Promise.all(Array.from({ length: opts.instances }, () => freePort()));
  const servers: ServerProcess[] = [];
  const start = async (i: number) => {
    servers[i] = await startServer({
      db: 'postgres', pgUrl: v['pg-url'], databaseUrl: scratch.url, startTimeoutMs: 120_000,
      env: { PORT: String(ports[i]), REDIS_URL: v['redis-url'], REDIS_PREFIX: redisPrefix, INSTANCE_ID: `node-${i}` },
    });
  };
  let nginx: Awaited<ReturnType<typeof startNginx>> | null = null;
  try {
    log(`starting ${opts.instances} instances and nginx…`);
    await start(0); // migrates
    await Promise.all(ports.slice(1).map((_, i) => start(i + 1)));
    nginx = await startNginx(v.nginx, ports, { maxFails: opts.maxFails });
    const fleet: RollingFleet = {
      url: nginx.url,
      size: opts.instances,
      async restart(i) {
        const t0 = performance.now();
        await servers[i]!.stop(60_000);
        const exitCode = servers[i]!.exitCode;
        const t1 = performance.now();
        await start(i);
        return { exitCode, drainMs: t1 - t0, startMs: performance.now() - t1 };
      },
    };
    const r = await runRolling(fleet, opts, log);
    // Handshake outcomes since each instance's last start (its counters restart with it).
    const handshakes: Record<string, number> = {};
    for (const s of servers) {
      const text = await (await fetch(`${s.metricsUrl}/metrics`)).text();
      for (const m of text.matchAll(/^parley_ws_handshakes_total\{result="([^"]+)"\} (\d+)/gm)) handshakes[m[1]!] = (handshakes[m[1]!] ?? 0) + Number(m[2]);
    }
    const lat = (h: (typeof r.latency)['steady']) => `${Math.round(h.percentile(50))} / ${Math.round(h.percentile(99))} / ${Math.round(h.max)} (${h.count})`;
    const ok = r.lost === 0 && r.doubled === 0 && r.outOfOrder === 0 && r.failed === 0 && r.pending === 0 && r.acked === r.sent && r.restarts.every((x) => x.exitCode === 0);
    const rows: Row[] = [
      ['nginx upstream max_fails', opts.maxFails],
      ['instances, clients (groups of N / direct pairs), rate', `${opts.instances}, ${opts.clients} (${opts.groupUsers} in groups of ${opts.groupSize} / ${opts.clients - opts.groupUsers} in pairs), ${opts.rate} msg/s`],
      ['restarts (SIGTERM → exit code, drain ms, start ms)', r.restarts.map((x) => `#${x.instance} → ${x.exitCode}, ${Math.round(x.drainMs)}, ${Math.round(x.startMs)}`).join('; ')],
      ['messages sent / acked / failed / still pending', `${r.sent} / ${r.acked} / ${r.failed} / ${r.pending}`],
      ['sent in steady state / during restarts / after', `${r.sentByPhase.steady} / ${r.sentByPhase.restarts} / ${r.sentByPhase.after}`],
      ['deliveries expected (acked × recipients)', r.deliveries],
      ['lost (acked, never delivered to a recipient)', r.lost],
      ['doubled (delivered twice to an app, or stored twice)', r.doubled],
      ['recipients whose log differs from the history', r.outOfOrder],
      ['delivery ms p50 / p99 / max (n): steady state', lat(r.latency.steady)],
      ['delivery ms p50 / p99 / max (n): during restarts', lat(r.latency.restarts)],
      ['delivery ms p50 / p99 / max (n): after', lat(r.latency.after)],
      ['handshakes by result (since each instance\'s last start)', Object.entries(handshakes).map(([k, n]) => `${k} ${n}`).join(', ')],
      ['reconnects (ready after the first); close codes seen', `${r.reconnects}; ${Object.entries(r.closeCodes).map(([c, n]) => `${c}×${n}`).join(', ')}`],
    ];
    printTable(`Parley rolling restart — ${opts.instances} instances behind nginx, ${opts.clients} SDK clients`, rows);
    if (r.errors.length) console.log(`client errors (first ${r.errors.length}):\n  ${r.errors.join('\n  ')}`);
    const path = await writeResult('rolling', `${opts.instances}x${opts.clients}`, {
      scenario: 'rolling', date: new Date().toISOString(), ok, code: codeVersion(), machine: machineInfo(), params: opts,
      sent: r.sent, acked: r.acked, failed: r.failed, pending: r.pending, deliveries: r.deliveries, lost: r.lost, doubled: r.doubled,
      out_of_order: r.outOfOrder, sent_by_phase: r.sentByPhase, restarts: r.restarts, reconnects: r.reconnects, close_codes: r.closeCodes, handshakes,
      latency_ms: { steady: r.latency.steady.summary(), restarts: r.latency.restarts.summary(), after: r.latency.after.summary() },
      client_errors: r.errors, server_logs: servers.map((s) => s.logs()),
    });
    console.log(`\nresult: ${ok ? 'PASS' : 'FAIL'}; written to ${path}`);
    return ok ? 0 : 1;
  } finally {
    await nginx?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await scratch.drop().catch(() => {});
    await deleteRedisKeys(v['redis-url'], redisPrefix).catch(() => {});
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
