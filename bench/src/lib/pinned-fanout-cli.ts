/**
 * `npm run bench:fanout -- --pin [...]`: group fan-out measured per core. One
 * Parley instance pinned to core 0 (PostgreSQL + Redis, the large-room
 * channel), the load workers, PostgreSQL and Redis on core 1; stepped
 * open-loop rates until a step breaks; a bare `ws` broadcast server (no auth,
 * no storage; lib/ceiling-server.ts, local broadcast, corked) in the same run,
 * pinned the same way.
 */
import { parseArgs } from 'node:util';
import { pinAll } from './pin.ts';
import { runPinnedFanout, type FanoutSystemRun } from './pinned-fanout.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './report.ts';
import { loadAvg1, parseRates, SATURATION, saturation, stepTable } from './steps.ts';

export const PIN_FANOUT_USAGE = `usage: npm run bench:fanout -- --pin [options]
  --members M        group members (default 1000, the protocol's MAX_GROUP_MEMBERS)
  --devices D        sockets per member (default 2): M × D deliveries per message, 2,000 by default
  --senders S        sockets posting, round-robin (default 4)
  --rates LIST       offered msgs/s per step, ascending (default 10,20,30,40,50,60,70,80,100)
  --step S           seconds per step (default 5)
  --grace S          seconds after a step's last send for its deliveries to count (default 1)
  --systems LIST     reference,parley (default, in this order); base too with --base
  --base DIR         another checkout of the repository (npm ci done) whose server runs as system "base":
                     --systems reference,base,parley measures before and after a change in the same run
  --workers N        load-generator processes (default 2); --addresses N source addresses (default 4)
  --profile          CPU profile of the Parley server (--cpu-prof) into bench/results/profiles
  --keep-going       run every step even after one fails`;

export async function pinnedFanoutMain(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      pin: { type: 'boolean', default: true },
      members: { type: 'string', default: '1000' },
      devices: { type: 'string', default: '2' },
      senders: { type: 'string', default: '4' },
      rates: { type: 'string', default: '10,20,30,40,50,60,70,80,100' },
      step: { type: 'string', default: '5' },
      grace: { type: 'string', default: '1' },
      systems: { type: 'string', default: 'reference,parley' },
      workers: { type: 'string', default: '2' },
      addresses: { type: 'string', default: '4' },
      'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
      profile: { type: 'boolean', default: false },
      'keep-going': { type: 'boolean', default: false },
      base: { type: 'string', default: '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (v.help) {
    console.log(PIN_FANOUT_USAGE);
    return 0;
  }
  const systems = v.systems.split(',').map((s) => s.trim());
  if (!systems.length || systems.some((s) => s !== 'parley' && s !== 'reference' && s !== 'base')) throw new Error('--systems takes parley, reference and base');
  if (systems.includes('base') && !v.base) throw new Error('--systems base needs --base DIR');
  const opts = {
    members: Number(v.members), devices: Number(v.devices), senders: Number(v.senders), rates: parseRates(v.rates), stepS: Number(v.step), graceS: Number(v.grace),
    workers: Number(v.workers), addresses: Number(v.addresses), pgUrl: v['pg-url'], redisUrl: v['redis-url'], profile: v.profile, keepGoing: v['keep-going'],
    baseRoot: v.base || null,
  };
  const log = (m: string) => console.error(`[fanout --pin ${new Date().toISOString().slice(11, 19)}] ${m}`);
  const pin = pinAll(0, 1);
  const loadBefore = loadAvg1();
  const runs: FanoutSystemRun[] = [];
  try {
    for (const s of systems) runs.push(await runPinnedFanout(s as FanoutSystemRun['system'], opts, pin, log));
  } finally {
    pin.restore();
  }
  const parley = runs.find((r) => r.system === 'parley');
  const ref = runs.find((r) => r.system === 'reference');
  const base = runs.find((r) => r.system === 'base');
  const pSat = parley ? saturation(parley.steps) : null;
  const rSat = ref ? saturation(ref.steps) : null;
  const at = (r: FanoutSystemRun | undefined, rate: number) => r?.steps.find((s) => s.rate === rate) ?? null;
  // Deliveries per server CPU-second at each system's highest step (saturated or not): its cost per delivery.
  const top = (r?: FanoutSystemRun) => (r?.steps.length ? r.steps.reduce((a, b) => ((b.deliveries_per_server_cpu_s ?? 0) > (a.deliveries_per_server_cpu_s ?? 0) ? b : a)) : null);
  const pRefRate = rSat ? at(parley, rSat.rate) : null;
  const summary = {
    parley_saturation: pSat?.rate ?? (parley ? 0 : null),
    reference_saturation: rSat?.rate ?? (ref ? 0 : null),
    parley_p99_at_reference_saturation: pRefRate?.p99 ?? null,
    reference_p99_at_its_saturation: rSat?.p99 ?? null,
    p99_ratio_at_reference_saturation: pRefRate?.p99 && rSat?.p99 ? Math.round((pRefRate.p99 / rSat.p99) * 100) / 100 : null,
    parley_best_deliveries_per_cpu_s: top(parley)?.deliveries_per_server_cpu_s ?? null,
    reference_best_deliveries_per_cpu_s: top(ref)?.deliveries_per_server_cpu_s ?? null,
    p99_at_40: { parley: at(parley, 40)?.p99 ?? null, reference: at(ref, 40)?.p99 ?? null, base: at(base, 40)?.p99 ?? null },
    base_saturation: base ? (saturation(base.steps)?.rate ?? 0) : null,
    base_best_deliveries_per_cpu_s: top(base)?.deliveries_per_server_cpu_s ?? null,
  };
  const cpuRatio = summary.parley_best_deliveries_per_cpu_s && summary.reference_best_deliveries_per_cpu_s ? (summary.parley_best_deliveries_per_cpu_s / summary.reference_best_deliveries_per_cpu_s).toFixed(2) : '—';
  for (const r of runs) console.log(`\n${stepTable(`${r.system} (setup ${r.setup_s} s; duplicates ${r.duplicates}, closed by server ${r.closed_by_server}, send errors ${r.send_errors})`, r.steps, 'msg')}`);
  console.log('');
  const rows: Row[] = [
    ['saturation Parley / reference', `${summary.parley_saturation ?? '—'} / ${summary.reference_saturation ?? '—'} msgs/s (× ${opts.members * opts.devices} deliveries)`],
    ['p99 at the reference saturation: Parley / reference', `${summary.parley_p99_at_reference_saturation ?? '∞'} / ${summary.reference_p99_at_its_saturation ?? '—'} ms (ratio ${summary.p99_ratio_at_reference_saturation ?? '—'})`],
    ['deliveries per server CPU-second (best step): Parley / reference', `${summary.parley_best_deliveries_per_cpu_s ?? '—'} / ${summary.reference_best_deliveries_per_cpu_s ?? '—'} (ratio ${cpuRatio})`],
    ['p99 at 40 msgs/s: Parley / reference', `${summary.p99_at_40.parley ?? '—'} / ${summary.p99_at_40.reference ?? '—'} ms`],
    ...(base ? [['base (before the change): saturation, best deliveries per CPU-s, p99 at 40', `${summary.base_saturation} msgs/s, ${summary.base_best_deliveries_per_cpu_s ?? '—'}, ${summary.p99_at_40.base ?? '—'} ms`] as Row] : []),
    ['load average (1 min) before / after', `${loadBefore} / ${loadAvg1()}`],
  ];
  printTable(`group fan-out, pinned: server on core ${pin.serverCore}, load + PostgreSQL + Redis on core ${pin.otherCore}; ${opts.members} members × ${opts.devices} sockets`, rows);
  const ok = runs.every((r) => r.duplicates === 0 && r.closed_by_server === 0 && r.send_errors === 0);
  const path = await writeResult('fanout-pinned', `${opts.members}x${opts.devices}`, {
    scenario: 'fanout-pinned', date: new Date().toISOString(), ok, code: codeVersion(), machine: machineInfo(), params: opts, pinning: pin.describe(),
    saturation_rule: SATURATION, load_avg_before: loadBefore, summary, runs,
  });
  console.log(`\nresult: ${ok ? 'PASS' : 'FAIL (duplicates, closed sockets or send errors: see the JSON)'}; written to ${path}`);
  return ok ? 0 : 1;
}
