/**
 * A mergeable latency histogram with ~0.5 % relative resolution: bucket
 * b holds values whose log1p(ms) × 200 rounds to b. Load-generator processes
 * fill one each and send the bucket counts to the coordinator, which merges
 * them, so millions of samples never cross process boundaries.
 */
const SCALE = 200;

export type HistogramData = Record<number, number>;

export class Histogram {
  readonly buckets = new Map<number, number>();
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const b = Math.round(Math.log1p(v) * SCALE);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  toJSON(): { buckets: HistogramData; count: number; sum: number; max: number } {
    return { buckets: Object.fromEntries(this.buckets), count: this.count, sum: this.sum, max: this.max };
  }

  merge(other: ReturnType<Histogram['toJSON']>): void {
    for (const [b, n] of Object.entries(other.buckets)) this.buckets.set(Number(b), (this.buckets.get(Number(b)) ?? 0) + n);
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }

  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b)!;
      if (seen >= rank) return Math.expm1(b / SCALE);
    }
    return this.max;
  }

  summary() {
    const r = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null);
    return {
      count: this.count,
      mean: r(this.count ? this.sum / this.count : Number.NaN),
      p50: r(this.percentile(50)),
      p95: r(this.percentile(95)),
      p99: r(this.percentile(99)),
      max: r(this.max),
    };
  }
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
