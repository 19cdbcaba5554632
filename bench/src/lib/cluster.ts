import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.ts';
import { startServer, type ServerProcess } from './server-process.ts';

export interface ClusterOptions {
  instances: number;
  pgUrl: string;
  redisUrl: string;
  /** Extra server environment (added to BENCH_SERVER_ENV and the shared database / Redis settings). */
  env?: Record<string, string>;
  /** Node.js flags for instance 0 only (e.g. `--cpu-prof`), so one process is profiled. */
  profileArgs?: string[];
  /** Node.js flags for every instance. */
  nodeArgs?: string[];
  /** Pin every instance to this CPU core (see `ServerOptions.pinCore`). */
  pinCore?: number;
  /** Run the server of this checkout instead of this one (see `ServerOptions.root`). */
  root?: string;
}

export interface Cluster {
  servers: ServerProcess[];
  database: string;
  redisPrefix: string;
  stop(): Promise<void>;
}

/**
 * N Parley instances on one scratch PostgreSQL database and one Redis, with a
 * REDIS_PREFIX unique to the run (its keys are deleted at the end), the way
 * the README's "Scaling out" runs them. Instance 0 starts (and migrates)
 * first, the others together.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const scratch: ScratchDatabase = await createScratchDatabase(opts.pgUrl);
  const redisPrefix = `parley_bench_${randomBytes(4).toString('hex')}:`;
  const servers: ServerProcess[] = [];
  const env = { REDIS_URL: opts.redisUrl, REDIS_PREFIX: redisPrefix, JWT_ACCESS_TTL: '7200', ...opts.env };
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await scratch.drop().catch(() => {});
    await deleteRedisKeys(opts.redisUrl, redisPrefix).catch(() => {});
  };
  try {
    const start = (i: number) =>
      startServer({ db: 'postgres', pgUrl: opts.pgUrl, databaseUrl: scratch.url, env, startTimeoutMs: 120_000, pinCore: opts.pinCore, root: opts.root, nodeArgs: [...(opts.nodeArgs ?? []), ...(i === 0 ? (opts.profileArgs ?? []) : [])] }).then((s) => {
        servers[i] = s;
        return s;
      });
    await start(0);
    await Promise.all(Array.from({ length: opts.instances - 1 }, (_, i) => start(i + 1)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { servers, database: scratch.name, redisPrefix, stop };
}

export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length) await client.del(keys);
    }
  } finally {
    await client.quit();
  }
}
