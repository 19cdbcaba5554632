import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter, gcra } from './rate-limiter.ts';

describe('gcra', () => {
  it('allows a burst, then one request per interval, and says how long to wait', () => {
    const limit = { rate: 2, burst: 3 }; // 500 ms interval
    let tat: number | undefined;
    const take = (now: number) => {
      const r = gcra(tat, now, limit);
      if (r.retryAfterMs === 0) tat = r.tat;
      return r.retryAfterMs;
    };
    expect([take(0), take(0), take(0)]).toEqual([0, 0, 0]);
    expect(take(0)).toBe(500);
    expect(take(499)).toBe(1);
    expect(take(500)).toBe(0);
    expect(take(500)).toBe(500);
    // A long quiet period refills the bucket, but never above the burst.
    expect([take(10_000), take(10_000), take(10_000), take(10_000)]).toEqual([0, 0, 0, 500]);
  });
});

describe('MemoryRateLimiter', () => {
  it('keeps keys apart and reports whole seconds to wait', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now);
    const limit = { rate: 0.5, burst: 1 }; // one per 2 s
    expect(await limiter.take('a', limit)).toBe(0);
    expect(await limiter.take('b', limit)).toBe(0);
    expect(await limiter.take('a', limit)).toBe(2);
    now = 1_500;
    expect(await limiter.take('a', limit)).toBe(1);
    now = 2_000;
    expect(await limiter.take('a', limit)).toBe(0);
  });
});
