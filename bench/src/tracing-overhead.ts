/**
 * What tracing costs: `bench:direct` and `bench:fanout`, each run with tracing
 * off, on at 1 % sampling and on at 100 %, in one invocation, one after the
 * other on the same machine, and their key figures side by side.
 *
 * The servers get the tracing settings through the standard OTEL_* variables
 * (the benchmarks hand their environment to the servers they spawn); spans go
 * to a running Zipkin (`bash scripts/zipkin.sh start`), so the cost includes
 * batching and exporting them over HTTP.
 *
 *   npm run bench:tracing -- [--zipkin http://127.0.0.1:19411] [--only direct|fanout]
 *                            [--direct "<bench:direct flags>"] [--fanout "<bench:fanout flags>"]
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/paths.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './lib/report.ts';

const { values: v } = parseArgs({
  options: {
    zipkin: { type: 'string', default: 'http://127.0.0.1:19411' },
    only: { type: 'string', default: '' },
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

async function main(): Promise<number> {
  if (!(await zipkinUp(v.zipkin))) {
    console.error(`no Zipkin answers at ${v.zipkin}/health: start one with \`bash scripts/zipkin.sh start\` or pass --zipkin`);
    return 2;
  }
  const endpoint = { OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${v.zipkin}/api/v2/spans`, OTEL_SERVICE_NAME: 'parley-bench' };
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  let ok = true;

  if (v.only !== 'fanout') {
    rows.push(['direct messages', `bench:direct ${v.direct}`]);
    for (const mode of MODES) {
      log(`bench:direct, tracing ${mode.name}`);
      const r = await runBench('bench:direct', v.direct, { ...mode.env, ...endpoint });
      ok &&= r.ok === true;
      const lat = r.latency_ms.send_to_receive;
      const ack = r.latency_ms.send_to_ack;
      rows.push([
        `  tracing ${mode.name}`,
        `${r.throughput.persisted_per_s} msg/s persisted; send→receive p50/p95/p99 ${lat.p50}/${lat.p95}/${lat.p99} ms; ack p50/p99 ${ack.p50}/${ack.p99} ms; server ${r.cpu?.server_cores} cores${r.ok ? '' : ' (FAILED)'}`,
      ]);
      results[`direct ${mode.name}`] = { ok: r.ok, throughput: r.throughput, latency_ms: r.latency_ms, cpu: r.cpu };
    }
  }
  if (v.only !== 'direct') {
    rows.push(['group fan-out', `bench:fanout ${v.fanout}`]);
    for (const mode of MODES) {
      log(`bench:fanout, tracing ${mode.name}`);
      const r = await runBench('bench:fanout', v.fanout, { ...mode.env, ...endpoint });
      ok &&= r.ok === true;
      const p = r.parley;
      const serverCores = Object.entries(p.cores as Record<string, number>)
        .filter(([k]) => k.startsWith('server'))
        .reduce((sum, [, c]) => sum + c, 0);
      rows.push([
        `  tracing ${mode.name}`,
        `${Math.round(p.deliveriesPerS)} deliveries/s; send→receive p50/p95/p99 ${p.latency.p50}/${p.latency.p95}/${p.latency.p99} ms; servers ${serverCores.toFixed(2)} cores${r.ok ? '' : ' (FAILED)'}`,
      ]);
      results[`fanout ${mode.name}`] = { ok: r.ok, deliveries_per_s: p.deliveriesPerS, latency_ms: p.latency, cores: p.cores };
    }
  }
  printTable('Tracing overhead (same run; exporter: Zipkin)', rows);
  const path = await writeResult('tracing', 'overhead', {
    scenario: 'tracing-overhead', date: new Date().toISOString(), ok, code: codeVersion(), machine: machineInfo(),
    params: { ...v }, modes: MODES, results,
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
