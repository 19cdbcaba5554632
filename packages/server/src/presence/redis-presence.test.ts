import { afterAll, describe } from 'vitest';
import { presenceContract } from './presence-contract.ts';
import { RedisPresence } from './redis-presence.ts';
import type { RedisConnections } from '../redis.ts';
import { TEST_REDIS_URL, openTestRedis, testPrefix } from '../../test/support/redis.ts';

const suite = () => {
  const prefix = testPrefix();
  const connections: RedisConnections[] = [];
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
  });
  presenceContract(async (ttlMs) => {
    const redis = await openTestRedis();
    connections.push(redis);
    return new RedisPresence(redis.command, `${prefix}${ttlMs}:`, ttlMs);
  });
};

if (TEST_REDIS_URL) describe('RedisPresence', suite);
else describe.skip(`RedisPresence (skipped: needs Redis: set TEST_REDIS_URL, e.g. redis://127.0.0.1:6379)`, suite);
