/** Settings of the reconnect backoff. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry, ms (default 500). */
  baseMs: number;
  /** Largest delay ceiling, ms (default 30 000). */
  capMs: number;
  /** Source of randomness in [0, 1); injectable so tests can pin the jitter. */
  random: () => number;
}

/** The reconnect backoff the client uses unless told otherwise: ceilings from 500 ms, doubling to 30 s, full jitter (see `Backoff`). */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000, random: Math.random };

/**
 * Exponential backoff with full jitter: the n-th retry (from 0) waits a
 * uniformly random time in `[0, min(cap, base × 2ⁿ))`. Full jitter, rather
 * than a fixed exponential delay, is what keeps ten thousand clients dropped by
 * one server restart from all coming back in the same millisecond.
 *
 * @example
 * ```ts
 * const backoff = new Backoff({ baseMs: 500, capMs: 30_000 });
 * setTimeout(reconnect, backoff.next()); // < 500 ms, then < 1 s, < 2 s, …
 * backoff.reset(); // once connected again
 * ```
 */
export class Backoff {
  readonly options: BackoffOptions;
  private attempt = 0;

  constructor(options: Partial<BackoffOptions> = {}) {
    this.options = { ...DEFAULT_BACKOFF, ...options };
    if (!(this.options.baseMs > 0) || !(this.options.capMs >= this.options.baseMs)) {
      throw new RangeError('backoff needs 0 < baseMs <= capMs');
    }
  }

  /** Retries drawn since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The ceiling of the next delay: `min(cap, base × 2^attempts)`. */
  get ceilingMs(): number {
    // 2^attempt overflows to Infinity long after it passed the cap; min() handles it.
    return Math.min(this.options.capMs, this.options.baseMs * 2 ** this.attempt);
  }

  /** Draws the next delay and counts the attempt. */
  next(): number {
    const delay = this.jitter(this.ceilingMs);
    this.attempt++;
    return delay;
  }

  /** A delay in `[0, ceilingMs)` without counting an attempt. */
  jitter(ceilingMs: number): number {
    const r = this.options.random();
    // A random source that returns 1 (or more) would break the upper bound.
    return Math.floor(Math.min(Math.max(r, 0), 0.999_999_999) * ceilingMs);
  }

  reset(): void {
    this.attempt = 0;
  }
}
