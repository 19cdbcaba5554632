import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis.ts';
import { costOf, MemoryRateLimiter, toSeconds, type Limit, type RateLimiter } from './rate-limiter.ts';

// The GCRA step in Redis, atomically, on Redis' own clock so instances with
// skewed clocks share one bucket fairly. ARGV: rate, burst, cost (requests
// this one counts for), and 1 to count it even over the limit (a request an
// instance already admitted on its own view). Returns the wait in ms (0 =
// allowed) and how far the bucket's theoretical arrival time now lies ahead.
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = 1000 / tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nexttat = tat + interval * tonumber(ARGV[3])
local allow_at = nexttat - burst * interval
if ARGV[4] ~= '1' and now < allow_at then return {math.ceil(allow_at - now), math.floor(tat - now)} end
redis.call('SET', KEYS[1], tostring(nexttat), 'PX', math.ceil(nexttat - now) + 1000)
return {0, math.floor(nexttat - now)}
`;

/** Sent by its SHA1 (EVALSHA): Redis neither receives nor hashes the script's text per call. */
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');

/** Longest a frame waits for Redis' answer before the local limits decide (node-redis' own default command timeout). */
const TAKE_TIMEOUT_MS = 5_000;

/**
 * Limits shared by every instance through Redis. While Redis is unreachable
 * each instance falls back to its own in-memory limits: never to no limit,
 * never to an error for the caller. The same in-memory buckets are this
 * instance's view of the shared ones for `admit`, kept current by every answer
 * Redis gives.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly local = new MemoryRateLimiter();
  /** Requests admitted on the local view this turn, by key, still to be counted in Redis. */
  private unreported = new Map<string, { limit: Limit; cost: number }>();
  private reportScheduled = false;
  /** Counts sent to Redis and not answered yet. */
  private readonly counting = new Set<Promise<unknown>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** The script by its SHA1; by its text when Redis does not hold it (first use, restart, SCRIPT FLUSH), which caches it again. */
  private async evaluate(options: { keys: string[]; arguments: string[] }): Promise<[number, number]> {
    try {
      return (await this.redis.evalSha(SCRIPT_SHA, options)) as [number, number];
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return (await this.redis.eval(SCRIPT, options)) as [number, number];
      throw err;
    }
  }

  /** Runs the GCRA step in Redis and folds the answer into the local view; null when Redis did not answer. */
  private async step(key: string, limit: Limit, cost: number, force: boolean): Promise<number | null> {
    try {
      const args = [String(limit.rate), String(limit.burst), String(cost), force ? '1' : '0'];
      const [waitMs, aheadMs] = await withTimeout(this.evaluate({ keys: [`${this.prefix}rl:${key}`], arguments: args }), TAKE_TIMEOUT_MS);
      this.local.observe(key, Number(aheadMs));
      return Number(waitMs);
    } catch {
      return null;
    }
  }

  async take(key: string, limit: Limit, cost = 1): Promise<number> {
    if (!this.redis.isReady) return this.local.takeSync(key, limit, cost);
    const waitMs = await this.step(key, limit, costOf(cost, limit), false);
    return waitMs === null ? this.local.takeSync(key, limit, cost) : toSeconds(waitMs);
  }

  admit(key: string, limit: Limit, cost = 1): number | Promise<number> {
    if (!this.redis.isReady) return this.local.takeSync(key, limit, cost);
    const counted = costOf(cost, limit);
    const half = { rate: limit.rate, burst: Math.floor(limit.burst / 2) };
    if (half.burst < counted || this.local.takeSync(key, half, counted) > 0) return this.take(key, limit, cost);
    const pending = this.unreported.get(key);
    if (pending) pending.cost += counted;
    else this.unreported.set(key, { limit, cost: counted });
    if (!this.reportScheduled) {
      this.reportScheduled = true;
      setImmediate(() => this.report());
    }
    return 0;
  }

  /** Counts this turn's locally admitted requests in Redis, one step per key (node-redis pipelines them). */
  private report(): void {
    this.reportScheduled = false;
    const batch = this.unreported;
    this.unreported = new Map();
    for (const [key, { limit, cost }] of batch) {
      // A count Redis does not take (unreachable) stays local only, as in the fallback; `step` never rejects.
      const counted = this.step(key, limit, cost, true);
      this.counting.add(counted);
      void counted.then(() => this.counting.delete(counted));
    }
  }

  /** Resolves once everything admitted so far has been counted in Redis (tests). */
  async reported(): Promise<void> {
    while (this.reportScheduled || this.counting.size > 0) {
      await (this.reportScheduled ? new Promise((resolve) => setImmediate(resolve)) : Promise.all(this.counting));
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
