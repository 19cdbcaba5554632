import type { SendStages } from './send-stages.ts';
import { loadavg } from 'node:os';

/**
 * Stepped open-loop load for `--pin` runs: offer a rate for a few seconds,
 * record what arrived, step up until a step breaks. Saturation is the highest
 * step where ≥ 99 % of what was offered arrived within the step (plus its
 * grace) and p99 send→receive stayed under 200 ms, counting what never arrived
 * as infinitely late.
 */
export const SATURATION = { minDelivered: 0.99, maxP99Ms: 200 } as const;

export interface StepResult {
  /** Offered messages/s. */
  rate: number;
  sent: number;
  /** Deliveries expected (messages × recipient sockets). */
  expected: number;
  /** Deliveries that arrived by the end of the step's grace. */
  delivered: number;
  delivered_fraction: number;
  /** send→receive ms, from each message's scheduled send time; null = more than 1 − p of them never arrived. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  /** Wall seconds from the first scheduled send to the last delivery (or the grace's end). */
  duration_s: number;
  /** Server process CPU over the step, in cores and per delivery / per message. */
  server_cores: number;
  server_cpu_ms: number;
  server_us_per_message: number | null;
  deliveries_per_server_cpu_s: number | null;
  /**
   * Server CPU from the step's start until every one of its messages had
   * arrived (the drain included) per message: the step's whole cost even when
   * part of it was still queued at the grace's end (a starved or saturated
   * server), so the figure to compare before/after on a noisy machine.
   */
  server_us_per_message_drained: number | null;
  postgres_cores: number | null;
  redis_cores: number | null;
  bench_cores: number;
  load_avg_1m: number;
  pass: boolean;
  /** The step's window in CLOCK_MONOTONIC µs (the clock of V8 CPU profiles: `npm run bench:flamegraph -- --window`). */
  mono_us: [number, number];
  /** Where a send's time went on the server (send-stages.ts); absent where the scenario does not read it. */
  stages?: SendStages;
}

/** CLOCK_MONOTONIC in µs. */
export const monoUs = () => Number(process.hrtime.bigint() / 1000n);

/** Percentile of `sorted` (ascending ms) where `total − sorted.length` samples never arrived (ranked last). */
export function percentileWithMissing(sorted: number[], total: number, p: number): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  return rank <= sorted.length ? Math.round(sorted[rank - 1]! * 100) / 100 : null;
}

export function passes(s: Pick<StepResult, 'delivered_fraction' | 'p99'>): boolean {
  return s.delivered_fraction >= SATURATION.minDelivered && s.p99 !== null && s.p99 < SATURATION.maxP99Ms;
}

/** The highest passing step below the first failing one (the run stops at the first failure anyway). */
export function saturation(steps: StepResult[]): StepResult | null {
  let best: StepResult | null = null;
  for (const s of steps) {
    if (!s.pass) break;
    best = s;
  }
  return best;
}

export const loadAvg1 = () => Math.round(loadavg()[0]! * 100) / 100;

const fmt = (v: number | null, digits = 0) => (v === null ? '∞' : v.toFixed(digits));

/** The steps as an aligned text table (one line per step), for printing under the summary. */
export function stepTable(label: string, steps: StepResult[], unit: string): string {
  const head = [`${unit}/s`, 'delivered', 'p50 ms', 'p95 ms', 'p99 ms', 'server cores', `µs CPU/${unit}`, 'drained', 'deliv/CPU-s', 'pg cores', 'redis cores', 'load 1m', ''];
  const body = steps.map((s) => [
    String(s.rate), `${(s.delivered_fraction * 100).toFixed(2)} %`, fmt(s.p50, 1), fmt(s.p95, 1), fmt(s.p99, 1), s.server_cores.toFixed(2),
    fmt(s.server_us_per_message), fmt(s.server_us_per_message_drained), fmt(s.deliveries_per_server_cpu_s), fmt(s.postgres_cores, 2), fmt(s.redis_cores, 2), String(s.load_avg_1m), s.pass ? 'ok' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padStart(widths[i]!)).join('  ')}`;
  const sat = saturation(steps);
  return [`${label} — saturation: ${sat ? `${sat.rate} ${unit}/s (p99 ${sat.p99} ms)` : 'none (the first step failed)'}`, line(head), ...body.map(line)].join('\n');
}

/** Parses `--rates 500,1000,2000`. */
export function parseRates(list: string): number[] {
  const rates = list.split(',').map((r) => Number(r.trim()));
  if (!rates.length || rates.some((r) => !Number.isFinite(r) || r <= 0)) throw new Error(`--rates must be a comma-separated list of positive numbers, got "${list}"`);
  return rates;
}
