import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../../test/support/eventually.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';
import type { RedisConnections } from '../redis.ts';
import { TEST_REDIS_URL, openTestRedis, testPrefix } from '../../test/support/redis.ts';

const suite = () => {
  const connections: RedisConnections[] = [];
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
  });

  it('shares one bucket between instances', async () => {
    const prefix = testPrefix();
    const [r1, r2] = [await openTestRedis(), await openTestRedis()];
    connections.push(r1, r2);
    const [x, y] = [new RedisRateLimiter(r1.command, prefix), new RedisRateLimiter(r2.command, prefix)];
    const limit = { rate: 1, burst: 5 };
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? x : y).take('user:1', limit)));
    expect(results.filter((r) => r === 0)).toHaveLength(5);
    expect(results.filter((r) => r > 0).every((r) => r >= 1 && r <= 6)).toBe(true);
    expect(await x.take('user:2', limit)).toBe(0);
  });

  it('runs the script by its SHA1, and by its text again when Redis lost it', async () => {
    const [redis, watcher] = [await openTestRedis(), await openTestRedis()];
    connections.push(redis, watcher);
    const prefix = testPrefix();
    const limiter = new RedisRateLimiter(redis.command, prefix);
    const limit = { rate: 1, burst: 2 };
    // MONITOR shows every command Redis runs; ours are the ones naming this test's keys.
    const seen: string[] = [];
    await watcher.subscriber.monitor((line: string) => {
      if (line.includes(prefix)) seen.push(/"(\w+)"/.exec(line)?.[1]?.toLowerCase() ?? '');
    });
    await redis.command.scriptFlush(); // as after a Redis restart: EVALSHA answers NOSCRIPT
    expect(await limiter.take('user:1', limit)).toBe(0);
    expect(await limiter.take('user:1', limit)).toBe(0);
    expect(await limiter.take('user:1', limit)).toBeGreaterThan(0); // one bucket: the third within a burst of 2 waits
    // (MONITOR also lists the GET and SET the script runs.)
    await eventually(() => expect(seen.filter((c) => c.startsWith('eval'))).toEqual(['evalsha', 'eval', 'evalsha', 'evalsha']));
  });

  it('counts a weighted request for its cost, as the memory limiter does', async () => {
    const redis = await openTestRedis();
    connections.push(redis);
    const limiter = new RedisRateLimiter(redis.command, testPrefix());
    const limit = { rate: 1, burst: 2000 };
    expect(await limiter.take('user:1', limit, 1500)).toBe(0);
    expect(await limiter.take('user:1', limit, 500)).toBe(0);
    expect(await limiter.take('user:1', limit, 10)).toBeGreaterThanOrEqual(9);
    expect(await limiter.take('user:2', limit, 5000)).toBe(0); // larger than the burst: counts as the burst
    expect(await limiter.take('user:2', limit)).toBeGreaterThan(0);
  });

  it('admits at once while its view holds half the burst, counts those in Redis, and asks Redis past that', async () => {
    const [r1, r2] = [await openTestRedis(), await openTestRedis()];
    connections.push(r1, r2);
    const prefix = testPrefix();
    const [x, y] = [new RedisRateLimiter(r1.command, prefix), new RedisRateLimiter(r2.command, prefix)];
    const limit = { rate: 0.001, burst: 10 }; // no refill within the test
    // Half the burst is decided on the spot: a number, not a promise.
    expect(Array.from({ length: 5 }, () => x.admit('user:1', limit))).toEqual([0, 0, 0, 0, 0]);
    const sixth = x.admit('user:1', limit);
    expect(sixth).toBeInstanceOf(Promise);
    expect(await sixth).toBe(0);
    await x.reported();
    // Redis counted all six: another instance gets the four left, exactly.
    const rest = await Promise.all(Array.from({ length: 6 }, () => y.take('user:1', limit)));
    expect(rest.filter((w) => w === 0)).toHaveLength(4);
    expect(await x.admit('user:1', limit)).toBeGreaterThan(0);
  });

  it('keeps its view current with every answer from Redis, so a full shared bucket is not admitted locally', async () => {
    const [r1, r2] = [await openTestRedis(), await openTestRedis()];
    connections.push(r1, r2);
    const prefix = testPrefix();
    const [x, y] = [new RedisRateLimiter(r1.command, prefix), new RedisRateLimiter(r2.command, prefix)];
    const limit = { rate: 0.001, burst: 4 };
    await Promise.all(Array.from({ length: 4 }, () => x.take('user:1', limit)));
    // y has never seen the key: its first answer from Redis (a refusal) tells it the bucket is full.
    expect(await y.take('user:1', limit)).toBeGreaterThan(0);
    const next = y.admit('user:1', limit);
    expect(next).toBeInstanceOf(Promise);
    expect(await next).toBeGreaterThan(0);
  });

  it('counts what it admitted on its own view even when the shared bucket filled meanwhile, so the excess is paid back', async () => {
    const [r1, r2] = [await openTestRedis(), await openTestRedis()];
    connections.push(r1, r2);
    const prefix = testPrefix();
    const [x, y] = [new RedisRateLimiter(r1.command, prefix), new RedisRateLimiter(r2.command, prefix)];
    const limit = { rate: 1, burst: 4 };
    expect(await Promise.all(Array.from({ length: 4 }, () => y.take('user:1', limit)))).toEqual([0, 0, 0, 0]);
    // x has not heard of the key: two requests pass on its view (the at-most-a-round-trip excess)…
    expect([x.admit('user:1', limit), x.admit('user:1', limit)]).toEqual([0, 0]);
    await x.reported();
    // …and are counted all the same: the next request waits for six, not four (3 s rather than 1 s).
    expect(await y.take('user:1', limit)).toBeGreaterThanOrEqual(3);
  });

  it('falls back to a per-instance limit, not to none, when Redis is unreachable', async () => {
    const redis = await openTestRedis();
    await redis.close();
    const limiter = new RedisRateLimiter(redis.command, testPrefix());
    const limit = { rate: 1, burst: 3 };
    const results = await Promise.all(Array.from({ length: 6 }, () => limiter.take('user:1', limit)));
    expect(results.filter((r) => r === 0)).toHaveLength(3);
    // admit: the same per-instance bucket, decided at once.
    expect(Array.from({ length: 3 }, () => limiter.admit('user:2', limit))).toEqual([0, 0, 0]);
    expect(limiter.admit('user:2', limit)).toBeGreaterThan(0);
  });
};

if (TEST_REDIS_URL) describe('RedisRateLimiter', suite);
else describe.skip(`RedisRateLimiter (skipped: needs Redis: set TEST_REDIS_URL, e.g. redis://127.0.0.1:6379)`, suite);
