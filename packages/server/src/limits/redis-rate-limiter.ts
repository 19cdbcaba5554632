import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis.ts';
import { costOf, MemoryRateLimiter, toSeconds, type Limit, type RateLimiter } from './rate-limiter.ts';

// The GCRA step in Redis, atomically, on Redis' own clock so instances with
// skewed clocks share one bucket fairly. ARGV: rate, burst, cost (requests
// this one counts for). Returns the wait in ms (0 = allowed).
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = 1000 / tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nexttat = tat + interval * tonumber(ARGV[3])
local allow_at = nexttat - burst * interval
if now < allow_at then return math.ceil(allow_at - now) end
redis.call('SET', KEYS[1], tostring(nexttat), 'PX', math.ceil(nexttat - now) + 1000)
return 0
`;

/** Sent by its SHA1 (EVALSHA): Redis neither receives nor hashes the script's text per call. */
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

/** Longest a frame waits for Redis' answer before the local limits decide (node-redis' own default command timeout). */
const TAKE_TIMEOUT_MS = 5_000;

/**
 * Limits shared by every instance through Redis. While Redis is unreachable
 * each instance falls back to its own in-memory limits: never to no limit,
 * never to an error for the caller.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly fallback = new MemoryRateLimiter();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** The script by its SHA1; by its text when Redis does not hold it (first use, restart, SCRIPT FLUSH), which caches it again. */
  private async evaluate(options: { keys: string[]; arguments: string[] }): Promise<unknown> {
    try {
      return await this.redis.evalSha(SCRIPT_SHA, options);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.redis.eval(SCRIPT, options);
      throw err;
    }
  }

  async take(key: string, limit: Limit, cost = 1): Promise<number> {
    if (!this.redis.isReady) return this.fallback.take(key, limit, cost);
    try {
      const args = [String(limit.rate), String(limit.burst), String(costOf(cost, limit))];
      const waitMs = await withTimeout(this.evaluate({ keys: [`${this.prefix}rl:${key}`], arguments: args }), TAKE_TIMEOUT_MS);
      return toSeconds(Number(waitMs));
    } catch {
      return this.fallback.take(key, limit, cost);
    }
  }
}

/** Rejects when `promise` has not settled within `ms` (a plain timer, cleared on settling). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('redis did not answer in time')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
