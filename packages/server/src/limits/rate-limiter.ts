/**
 * Rate limits as GCRA (generic cell rate algorithm): a bucket of `burst`
 * requests refilled at `rate` per second, stored as one timestamp per key, so
 * it is cheap in memory and in Redis alike.
 */
import type { Limit } from '../config.ts';

export type { Limit };

export interface RateLimiter {
  /**
   * Counts one request against `key`, or `cost` units of it (a `sync` counts
   * its cursors; at most the burst). Resolves to 0 when allowed, else to the
   * seconds until it would be allowed (nothing is counted then).
   */
  take(key: string, limit: Limit, cost?: number): Promise<number>;
  /**
   * As `take`, for the WebSocket's frames, where a round trip per frame would
   * be most of a cheap frame's latency: decided at once while this instance's
   * view of the bucket has at least half the burst left (a shared limiter then
   * counts the request in the shared bucket in the background and folds the
   * answer back into its view), and as `take` past that. So several instances
   * together never admit more than `take` would, except for requests whose
   * background count is still on its way (at most one round trip's worth).
   */
  admit(key: string, limit: Limit, cost?: number): number | Promise<number>;
}

/** A request's cost as counted: at least 1, and never more than the burst (else it could never pass). */
export const costOf = (cost: number, limit: Limit): number => Math.min(Math.max(1, cost), limit.burst);

/** The GCRA step: given the stored theoretical arrival time, decide and return the new one. */
export function gcra(storedTat: number | undefined, nowMs: number, limit: Limit, cost = 1): { retryAfterMs: number; tat: number } {
  const interval = 1000 / limit.rate;
  const tat = Math.max(storedTat ?? nowMs, nowMs);
  const next = tat + interval * costOf(cost, limit);
  const allowAt = next - limit.burst * interval;
  if (nowMs < allowAt) return { retryAfterMs: allowAt - nowMs, tat };
  return { retryAfterMs: 0, tat: next };
}

export const toSeconds = (ms: number): number => (ms <= 0 ? 0 : Math.max(1, Math.ceil(ms / 1000)));

/** Per-process limits: the embedded tier, per-socket limits, and the fallback when Redis is down. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(key: string, limit: Limit, cost = 1): Promise<number> {
    return this.takeSync(key, limit, cost);
  }

  admit(key: string, limit: Limit, cost = 1): number {
    return this.takeSync(key, limit, cost);
  }

  takeSync(key: string, limit: Limit, cost = 1): number {
    const now = this.now();
    const { retryAfterMs, tat } = gcra(this.tats.get(key), now, limit, cost);
    if (retryAfterMs > 0) return toSeconds(retryAfterMs);
    this.tats.set(key, tat);
    if (this.tats.size > 100_000) this.sweep(now);
    return 0;
  }

  /** Folds in another view of `key`'s bucket: its theoretical arrival time is `aheadMs` from now (the later of the two wins). */
  observe(key: string, aheadMs: number): void {
    const tat = this.now() + aheadMs;
    if (tat > (this.tats.get(key) ?? -Infinity)) this.tats.set(key, tat);
  }

  forget(key: string): void {
    this.tats.delete(key);
  }

  /** Keys whose bucket is full again carry no information: drop them. */
  private sweep(now: number): void {
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }
}
