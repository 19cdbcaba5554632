import { openRedis, type RedisConnections } from '../../src/redis.ts';

/** Redis for tests: used when TEST_REDIS_URL points at a server (CI sets it). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? '';

/** A fresh key/channel prefix, so test files sharing one Redis never see each other. */
export const testPrefix = (): string => `parley-test:${crypto.randomUUID().slice(0, 8)}:`;

export async function openTestRedis(url = TEST_REDIS_URL): Promise<RedisConnections> {
  const redis = openRedis(url, () => {});
  const deadline = Date.now() + 5_000;
  while (!(redis.command.isReady && redis.subscriber.isReady)) {
    if (Date.now() > deadline) throw new Error(`Redis at ${url} is not reachable`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return redis;
}
