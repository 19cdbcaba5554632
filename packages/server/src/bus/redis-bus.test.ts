import { afterAll, describe, expect, it } from 'vitest';
import { busContract } from './bus-contract.ts';
import { RedisBus } from './redis-bus.ts';
import type { RedisConnections } from '../redis.ts';
import { TEST_REDIS_URL, openTestRedis, testPrefix } from '../../test/support/redis.ts';

const suite = () => {
  const prefix = testPrefix();
  const connections: RedisConnections[] = [];
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
  });
  const makeBus = async () => {
    const redis = await openTestRedis();
    connections.push(redis);
    return new RedisBus(redis.command, redis.subscriber, crypto.randomUUID(), prefix);
  };
  busContract(makeBus);

  it('receives nothing from Redis for channels it has no listener for', async () => {
    const [x, y] = [await makeBus(), await makeBus()];
    const heard: string[] = [];
    await y.subscribe('wanted', (p) => void heard.push(p));
    for (let i = 0; i < 10; i++) await x.publish(`unwanted-${i}`, 'noise');
    await x.publish('wanted', 'signal');
    await expect.poll(() => heard).toEqual(['signal']);
    expect(y.stats).toMatchObject({ received: 1, unrouted: 0 });
    expect(x.stats.received).toBe(0);
  });

  it('delivers to its own listeners once (not again via the Redis echo)', async () => {
    const x = await makeBus();
    const heard: string[] = [];
    await x.subscribe('self', (p) => void heard.push(p));
    await x.publish('self', 'once');
    await expect.poll(() => heard).toEqual(['once']);
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(['once']);
  });
};

if (TEST_REDIS_URL) describe('RedisBus', suite);
else describe.skip(`RedisBus (skipped: needs Redis: set TEST_REDIS_URL, e.g. redis://127.0.0.1:6379)`, suite);
