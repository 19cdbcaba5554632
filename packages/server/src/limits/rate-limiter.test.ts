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

describe('weighted requests', () => {
  it('counts a request for its cost, and a cost above the burst as the whole burst', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now);
    const limit = { rate: 500, burst: 2000 }; // cursors per second, as RATE_LIMIT_SYNC
    expect([500, 500, 500, 500].map((c) => limiter.takeSync('sync', limit, c))).toEqual([0, 0, 0, 0]);
    expect(limiter.takeSync('sync', limit, 500)).toBe(1); // 1 s until 500 have refilled
    expect(limiter.takeSync('sync', limit, 1)).toBe(1); // even one must wait its 2 ms: whole seconds
    now = 1_000;
    expect(limiter.takeSync('sync', limit, 500)).toBe(0);
    // Never more than the burst: after a quiet period a request larger than it still passes, once.
    now = 100_000;
    expect(limiter.takeSync('sync', limit, 5_000)).toBe(0);
    expect(limiter.takeSync('sync', limit, 1)).toBeGreaterThan(0);
    expect(limiter.takeSync('other', limit, 0)).toBe(0);
  });
});
