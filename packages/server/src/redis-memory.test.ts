import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInfoMemory, RedisMemoryProbe } from './redis-memory.ts';
import { openTestRedis } from '../test/support/redis.ts';
import { startPrivateRedis, which, type PrivateRedis } from '../test/support/processes.ts';
import type { RedisConnections } from './redis.ts';

describe('parseInfoMemory', () => {
  it('reads used_memory and maxmemory, and gives null when either is missing', () => {
    const info = '# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n';
    expect(parseInfoMemory(info)).toEqual({ usedBytes: 1_048_576, maxBytes: 0 });
    expect(parseInfoMemory('# Memory\r\nused_memory:12\r\n')).toBeNull();
    expect(parseInfoMemory('')).toBeNull();
  });
});

/** A redis-server of the test's own: its maxmemory is changed, which the shared one must not be. */
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? which('redis-server');
const live = () => {
  let server: PrivateRedis;
  let redis: RedisConnections;
  beforeAll(async () => {
    server = await startPrivateRedis(REDIS_SERVER!);
    redis = await openTestRedis(server.url);
  });
  afterAll(async () => {
    await redis?.close();
    await server?.stop();
  });

  it('polls the real used_memory and maxmemory, follows a change of either, and keeps the last reading while Redis is down', async () => {
    const probe = new RedisMemoryProbe(redis.command, 60_000);
    probe.start();
    await expect.poll(() => probe.latest).not.toBeNull();
    expect(probe.latest!.maxBytes).toBe(0);
    const before = probe.latest!.usedBytes;
    expect(before).toBeGreaterThan(100_000);

    await redis.command.configSet('maxmemory', String(64 * 1024 * 1024));
    await redis.command.set('ballast', 'x'.repeat(4 * 1024 * 1024));
    await probe.poll();
    expect(probe.latest!.maxBytes).toBe(64 * 1024 * 1024);
    expect(probe.latest!.usedBytes).toBeGreaterThan(before + 4 * 1024 * 1024);

    const last = probe.latest;
    await server.stop();
    await probe.poll();
    expect(probe.latest).toBe(last);
    probe.stop();
    await server.start();
  });
};

if (REDIS_SERVER) describe('RedisMemoryProbe against a private redis-server', live);
else describe.skip('RedisMemoryProbe (skipped: needs redis-server on PATH or REDIS_SERVER_BIN)', live);
