import type { RedisClient } from './redis.ts';

export interface RedisMemory {
  /** `used_memory`: bytes Redis has allocated for data, buffers included. */
  usedBytes: number;
  /** `maxmemory`: the configured ceiling; 0 means none. */
  maxBytes: number;
}

/** Reads `used_memory` and `maxmemory` out of an `INFO memory` reply; null when either is missing. */
export function parseInfoMemory(info: string): RedisMemory | null {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:(\\d+)\\r?$`, 'm').exec(info);
    return m ? Number(m[1]) : null;
  };
  const usedBytes = field('used_memory');
  const maxBytes = field('maxmemory');
  return usedBytes === null || maxBytes === null ? null : { usedBytes, maxBytes };
}

/**
 * Polls Redis' memory on a slow timer, for the `parley_redis_memory_*`
 * gauges and the alert on them: Parley's Redis holds presence, call state and
 * rate-limit buckets, and a Redis that reaches `maxmemory` under `noeviction`
 * refuses those writes (docs/operations.md says which policy and why).
 * Polled rather than read at scrape time so a slow or unreachable Redis never
 * slows the scrape; with Redis unreachable the last reading stays.
 */
export class RedisMemoryProbe {
  private timer: NodeJS.Timeout | null = null;
  latest: RedisMemory | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly intervalMs = 30_000,
  ) {}

  start(): void {
    // The connection opens in the background: read as soon as it is ready, not one interval later.
    if (this.redis.isReady) void this.poll();
    else this.redis.once('ready', () => void this.poll());
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async poll(): Promise<void> {
    if (!this.redis.isReady) return;
    try {
      this.latest = parseInfoMemory(await this.redis.info('memory')) ?? this.latest;
    } catch {
      // Unreachable now: keep the last reading; the bus metrics and logs say Redis is down.
    }
  }
}
