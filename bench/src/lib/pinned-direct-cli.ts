/**
 * `npm run bench:direct -- --pin [...]`: persisted direct messages measured
 * per core. One Parley instance pinned to core 0, the load generator,
 * PostgreSQL and Redis on core 1; stepped open-loop rates until a step breaks;
 * the bare `ws` + `pg` reference server in the same run, pinned the same way.
 */
import { parseArgs } from 'node:util';
import { pinAll } from './pin.ts';
import { runPinnedDirect, type SystemRun } from './pinned-direct.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './report.ts';
import { loadAvg1, parseRates, SATURATION, saturation, stepTable } from './steps.ts';

export const PIN_DIRECT_USAGE = `usage: npm run bench:direct -- --pin [options]
  --pairs P          sender/recipient pairs, one direct conversation and two sockets each (default 500)
  --rates LIST       offered msgs/s per step, ascending (default 500,1000,2000,3000,4000,5000,6000,8000,10000,12000)
  --step S           seconds per step (default 5)
  --grace S          seconds after a step's last send for its deliveries to count (default 1)
  --systems LIST     which servers, in this order: reference,parley (default reference,parley)
  --pg-url URL       PostgreSQL server for the scratch databases (default postgres://postgres@127.0.0.1:5432/postgres)
  --redis-url URL    Redis for Parley (default redis://127.0.0.1:6379)
  --profile          CPU profile of the Parley server (--cpu-prof) into bench/results/profiles
  --keep-going       run every step even after one fails (CPU per message at each rate on a noisy machine)
  --base DIR         another checkout of the repository (npm ci done) whose server runs as system "base":
                     --systems reference,base,parley measures before and after a change in the same run`;

export async function pinnedDirectMain(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      pin: { type: 'boolean', default: true },
      pairs: { type: 'string', default: '500' },
      rates: { type: 'string', default: '500,1000,2000,3000,4000,5000,6000,8000,10000,12000' },
      step: { type: 'string', default: '5' },
      grace: { type: 'string', default: '1' },
      systems: { type: 'string', default: 'reference,parley' },
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
    console.log(PIN_DIRECT_USAGE);
    return 0;
  }
  const systems = v.systems.split(',').map((s) => s.trim());
  if (!systems.length || systems.some((s) => s !== 'parley' && s !== 'reference' && s !== 'base')) throw new Error('--systems takes parley, reference and base');
  if (systems.includes('base') && !v.base) throw new Error('--systems base needs --base DIR');
  const opts = { pairs: Number(v.pairs), rates: parseRates(v.rates), stepS: Number(v.step), graceS: Number(v.grace), pgUrl: v['pg-url'], redisUrl: v['redis-url'], profile: v.profile, keepGoing: v['keep-going'], baseRoot: v.base || null };
  const log = (m: string) => console.error(`[direct --pin ${new Date().toISOString().slice(11, 19)}] ${m}`);
  const pin = pinAll(0, 1);
  const loadBefore = loadAvg1();
  const runs: SystemRun[] = [];
  try {
    for (const s of systems) runs.push(await runPinnedDirect(s as SystemRun['system'], opts, pin, log));
  } finally {
    pin.restore();
  }
  const byName = Object.fromEntries(runs.map((r) => [r.system, r]));
  const sat = (r?: SystemRun) => (r ? (saturation(r.steps)?.rate ?? 0) : null);
  const at = (r: SystemRun | undefined, rate: number) => r?.steps.find((s) => s.rate === rate) ?? null;
  const parleySat = sat(byName.parley);
  const refSat = sat(byName.reference);
  const parleyAtSat = byName.parley ? saturation(byName.parley.steps) : null;
  const summary = {
    parley_saturation: parleySat,
    reference_saturation: refSat,
    ratio: parleySat !== null && refSat ? Math.round((parleySat / refSat) * 100) / 100 : null,
    parley_us_per_message_at_saturation: parleyAtSat?.server_us_per_message ?? null,
    p50_at_1000: { parley: at(byName.parley, 1000)?.p50 ?? null, reference: at(byName.reference, 1000)?.p50 ?? null, base: at(byName.base, 1000)?.p50 ?? null },
    base_saturation: sat(byName.base),
    /** Server µs per message at each rate, per system (the figure least moved by a noisy machine). */
    us_per_message: Object.fromEntries(runs.map((r) => [r.system, Object.fromEntries(r.steps.map((st) => [st.rate, { window: st.server_us_per_message, drained: st.server_us_per_message_drained }]))])),
  };
  const rows: Row[] = [
    ['saturation Parley / reference', `${parleySat ?? '—'} / ${refSat ?? '—'} msgs/s (ratio ${summary.ratio ?? '—'})`],
    ['Parley server CPU per message at saturation', `${summary.parley_us_per_message_at_saturation ?? '—'} µs`],
    ['p50 at 1,000 msgs/s Parley / reference', `${summary.p50_at_1000.parley ?? '—'} / ${summary.p50_at_1000.reference ?? '—'} ms`],
    ...(byName.base ? [['base (before the change): saturation / p50 at 1,000', `${summary.base_saturation} msgs/s / ${summary.p50_at_1000.base ?? '—'} ms`] as Row] : []),
    ...runs.map((r): Row => [`µs server CPU per message by rate: ${r.system}`, r.steps.map((st) => `${st.rate}: ${st.server_us_per_message ?? '—'} (drained ${st.server_us_per_message_drained ?? '—'})`).join(', ')]),
    ['load average (1 min) before / after', `${loadBefore} / ${loadAvg1()}`],
  ];
  for (const r of runs) console.log(`\n${stepTable(`${r.system} (setup ${r.setup_s} s; error frames ${r.problems.error_frames}, seq violations ${r.problems.seq_violations}, duplicates ${r.problems.duplicated})`, r.steps, 'msg')}`);
  for (const r of runs.filter((run) => run.steps.some((st) => st.stages?.frame_ms != null))) {
    console.log(`\n${r.system}: where a send's time goes on the server (means over each step, from its /metrics)`);
    for (const st of r.steps) {
      const g = st.stages;
      if (g) console.log(`  ${String(st.rate).padStart(6)} msgs/s: send_message ${g.frame_ms} ms = writer wait ${g.write_wait_ms} + batch ${g.batch_ms} + the rest; ${g.batch_size} sends per batch`);
    }
  }
  console.log('');
  printTable(`direct messages, pinned: server on core ${pin.serverCore}, load + PostgreSQL + Redis on core ${pin.otherCore}; ${opts.pairs} pairs`, rows);
  const ok = runs.every((r) => r.problems.error_frames === 0 && r.problems.seq_violations === 0 && r.problems.duplicated === 0);
  const path = await writeResult('direct-pinned', `${opts.pairs}p`, {
    scenario: 'direct-pinned', date: new Date().toISOString(), ok, code: codeVersion(), machine: machineInfo(), params: opts, pinning: pin.describe(),
    saturation_rule: SATURATION, load_avg_before: loadBefore, summary, runs,
  });
  console.log(`\nresult: ${ok ? 'PASS' : 'FAIL (error frames, seq violations or duplicates: see the JSON)'}; written to ${path}`);
  return ok ? 0 : 1;
}
