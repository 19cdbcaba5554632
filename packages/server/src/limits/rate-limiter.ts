/**
 * Rate limits as GCRA (generic cell rate algorithm): a bucket of `burst`
 * requests refilled at `rate` per second, stored as one timestamp per key, so
 * it is cheap in memory and in Redis alike.
 */
import type { Limit } from '../config.ts';

export type { Limit };

export interface RateLimiter {
  /**
   * Counts one request against `key`. Resolves to 0 when allowed, else to the
   * seconds until a request would be allowed (nothing is counted then).
   */
  take(key: string, limit: Limit): Promise<number>;
}

/** The GCRA step: given the stored theoretical arrival time, decide and return the new one. */
export function gcra(storedTat: number | undefined, nowMs: number, limit: Limit): { retryAfterMs: number; tat: number } {
  const interval = 1000 / limit.rate;
  const tat = Math.max(storedTat ?? nowMs, nowMs);
  const next = tat + interval;
  const allowAt = next - limit.burst * interval;
  if (nowMs < allowAt) return { retryAfterMs: allowAt - nowMs, tat };
  return { retryAfterMs: 0, tat: next };
}

export const toSeconds = (ms: number): number => (ms <= 0 ? 0 : Math.max(1, Math.ceil(ms / 1000)));

/** Per-process limits: the embedded tier, per-socket limits, and the fallback when Redis is down. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(key: string, limit: Limit): Promise<number> {
    return this.takeSync(key, limit);
  }

  takeSync(key: string, limit: Limit): number {
    const now = this.now();
    const { retryAfterMs, tat } = gcra(this.tats.get(key), now, limit);
    if (retryAfterMs > 0) return toSeconds(retryAfterMs);
    this.tats.set(key, tat);
    if (this.tats.size > 100_000) this.sweep(now);
    return 0;
  }

  forget(key: string): void {
    this.tats.delete(key);
  }

  /** Keys whose bucket is full again carry no information: drop them. */
  private sweep(now: number): void {
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }
}
