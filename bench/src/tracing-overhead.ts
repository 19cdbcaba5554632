/**
 * What tracing costs: `bench:direct` and `bench:fanout`, each run with tracing
 * off, on at 1 % sampling and on at 100 %, in one invocation, one after the
 * other on the same machine, and their key figures side by side.
 *
 * The servers get the tracing settings through the standard OTEL_* variables
 * (the benchmarks hand their environment to the servers they spawn). Spans are
 * really exported, batched, as Zipkin JSON over HTTP, either to a sink in this
 * process that reads and drops them (`--sink noop`, the default: on a 2-core
 * machine a local Zipkin's JVM would compete with Parley for the same cores,
 * which a real deployment's trace backend does not), or to a running Zipkin
 * (`--sink zipkin`, `bash scripts/zipkin.sh start`).
 *
 *   npm run bench:tracing -- [--sink noop|zipkin] [--zipkin http://127.0.0.1:19411] [--only direct|fanout] [--rounds 1]
 *                            [--direct "<bench:direct flags>"] [--fanout "<bench:fanout flags>"]
 *
 * With `--rounds N` the three settings take turns N times (off, 1 %, 100 %,
 * off, …), so a machine whose load drifts during the run spreads the drift
 * over all three. Server CPU per message (CPU seconds the Parley processes
 * used ÷ messages) is the figure least moved by other work on the machine.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/paths.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './lib/report.ts';

const { values: v } = parseArgs({
  options: {
    sink: { type: 'string', default: 'noop' },
    zipkin: { type: 'string', default: 'http://127.0.0.1:19411' },
    only: { type: 'string', default: '' },
    rounds: { type: 'string', default: '1' },
    direct: { type: 'string', default: '--db postgres --pairs 50 --messages 200 --warmup 200' },
    fanout: { type: 'string', default: '--instances 2 --members 300 --senders 4 --rate 50 --messages 300 --ceiling none' },
  },
  strict: true,
});

/** The three settings compared; `off` sets nothing (tracing is off by default). */
const MODES: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'off', env: {} },
  { name: 'on, 1 %', env: { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' } },
  { name: 'on, 100 %', env: { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER: 'parentbased_always_on' } },
];

const rounds = Math.max(1, Math.floor(Number(v.rounds)) || 1);
function* turns(): Iterable<[number, (typeof MODES)[number]]> {
  for (let round = 1; round <= rounds; round++) for (const mode of MODES) yield [round, mode];
}

const log = (msg: string) => console.error(`[tracing ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** Runs one benchmark script with `env` added; resolves to the JSON it wrote. */
function runBench(script: 'bench:direct' | 'bench:fanout', args: string, env: Record<string, string>): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args.split(/\s+/).filter(Boolean)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const path = /written to (\S+\.json)/.exec(out)?.[1];
      if (!path) return reject(new Error(`${script} exited with ${code} without writing a result`));
      readFile(path, 'utf8').then((text) => resolve(JSON.parse(text) as Record<string, any>), reject);
    });
  });
}

async function zipkinUp(base: string): Promise<boolean> {
  try {
    return (await fetch(`${base}/health`)).ok;
  } catch {
    return false;
  }
}

/** Accepts Zipkin span batches, counts them and drops them. */
async function startNoopSink(): Promise<{ url: string; stats: { requests: number; bytes: number }; close(): void }> {
  const stats = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    stats.requests++;
    req.on('data', (chunk: Buffer) => (stats.bytes += chunk.length));
    req.on('end', () => res.writeHead(202).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stats, close: () => server.close() };
}

async function main(): Promise<number> {
  if (v.sink !== 'noop' && v.sink !== 'zipkin') throw new Error('--sink must be noop or zipkin');
  if (v.sink === 'zipkin' && !(await zipkinUp(v.zipkin))) {
    console.error(`no Zipkin answers at ${v.zipkin}/health: start one with \`bash scripts/zipkin.sh start\` or pass --zipkin`);
    return 2;
  }
  const sink = v.sink === 'noop' ? await startNoopSink() : null;
  const endpoint = { OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${sink?.url ?? v.zipkin}/api/v2/spans`, OTEL_SERVICE_NAME: 'parley-bench' };
  const exported = () => (sink ? `; exported so far ${sink.stats.requests} batches, ${(sink.stats.bytes / 1e6).toFixed(1)} MB` : '');
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  let ok = true;

  if (v.only !== 'fanout') {
    rows.push(['direct messages', `bench:direct ${v.direct}`]);
    for (const [round, mode] of turns()) {
      log(`bench:direct, tracing ${mode.name}, round ${round}`);
      const r = await runBench('bench:direct', v.direct, { ...mode.env, ...endpoint });
      ok &&= r.ok === true;
      const lat = r.latency_ms.send_to_receive;
      const ack = r.latency_ms.send_to_ack;
      const cpuMsPerMessage = ((r.cpu?.server_cores ?? NaN) * r.throughput.elapsed_s * 1000) / r.throughput.acked;
      rows.push([
        `  tracing ${mode.name}${rounds > 1 ? ` (round ${round})` : ''}`,
        `${r.throughput.persisted_per_s} msg/s persisted; send→receive p50/p95/p99 ${lat.p50}/${lat.p95}/${lat.p99} ms; ack p50/p99 ${ack.p50}/${ack.p99} ms; server ${r.cpu?.server_cores} cores, ${cpuMsPerMessage.toFixed(3)} CPU ms/msg${r.ok ? '' : ' (FAILED)'}${exported()}`,
      ]);
      results[`direct ${mode.name} #${round}`] = { ok: r.ok, throughput: r.throughput, latency_ms: r.latency_ms, cpu: r.cpu, server_cpu_ms_per_message: cpuMsPerMessage };
    }
  }
  if (v.only !== 'direct') {
    rows.push(['group fan-out', `bench:fanout ${v.fanout}`]);
    for (const [round, mode] of turns()) {
      log(`bench:fanout, tracing ${mode.name}, round ${round}`);
      const r = await runBench('bench:fanout', v.fanout, { ...mode.env, ...endpoint });
      ok &&= r.ok === true;
      const p = r.parley;
      const serverCores = Object.entries(p.cores as Record<string, number>)
        .filter(([k]) => k.startsWith('server'))
        .reduce((sum, [, c]) => sum + c, 0);
      const cpuMsPerMessage = (serverCores * p.durationS * 1000) / p.sent;
      rows.push([
        `  tracing ${mode.name}${rounds > 1 ? ` (round ${round})` : ''}`,
        `${Math.round(p.deliveriesPerS)} deliveries/s; send→receive p50/p95/p99 ${p.latency.p50}/${p.latency.p95}/${p.latency.p99} ms; servers ${serverCores.toFixed(2)} cores, ${cpuMsPerMessage.toFixed(2)} CPU ms/msg${r.ok ? '' : ' (FAILED)'}${exported()}`,
      ]);
      results[`fanout ${mode.name} #${round}`] = { ok: r.ok, deliveries_per_s: p.deliveriesPerS, latency_ms: p.latency, cores: p.cores, server_cpu_ms_per_message: cpuMsPerMessage };
    }
  }
  sink?.close();
  printTable(`Tracing overhead (same run; spans exported to ${sink ? 'a no-op Zipkin endpoint' : `Zipkin at ${v.zipkin}`})`, rows);
  const path = await writeResult('tracing', 'overhead', {
    scenario: 'tracing-overhead', date: new Date().toISOString(), ok, code: codeVersion(), machine: machineInfo(),
    params: { ...v }, modes: MODES, results, sink: sink?.stats ?? null,
  });
  console.log(`\nresult: ${ok ? 'PASS' : 'FAIL'}; written to ${path}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  },
);
