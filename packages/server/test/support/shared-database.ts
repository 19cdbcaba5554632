import { afterAll, beforeAll } from 'vitest';
import type { MemoryBus } from '../../src/bus/memory-bus.ts';
import { pgliteDatabase, postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from './databases.ts';
import { TEST_REDIS_URL, testPrefix } from './redis.ts';
import { startServer, type TestServer } from './harness.ts';

/**
 * One PGlite database for a test file (PGlite starts slowly) and as many
 * servers on it as the tests ask for, each with its own settings; all are
 * closed, and the database dropped, after the file's tests.
 */
export function serversOnOneDatabase(): {
  server(env?: Record<string, string>, bus?: MemoryBus): Promise<TestServer>;
  database(): TestDatabase;
} {
  let database: TestDatabase | undefined;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    database = await pgliteDatabase();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await database?.drop();
  });
  const opened = (): TestDatabase => {
    if (!database) throw new Error('the database opens in beforeAll: ask for it inside a test');
    return database;
  };
  return {
    async server(env = {}, bus) {
      const s = await startServer(opened().db, { env, bus });
      servers.push(s);
      return s;
    },
    database: opened,
  };
}

/** What a suite of instances on PostgreSQL and Redis lacks on this machine, for its skip (empty: it runs). */
export const POSTGRES_REDIS_MISSING = [!TEST_DATABASE_URL && 'TEST_DATABASE_URL (PostgreSQL)', !TEST_REDIS_URL && 'TEST_REDIS_URL (Redis)'].filter(
  (m): m is string => typeof m === 'string',
);

/**
 * `count` server instances for a test file on one scratch PostgreSQL database
 * and one Redis key prefix (no in-process bus: what one instance says reaches
 * the others only through Redis or the database). Each opens its own Redis
 * connections; they share the database pool. Closed and dropped after the file.
 */
export function instancesOnPostgresAndRedis(count = 2): () => TestServer[] {
  let pg: TestDatabase | undefined;
  const instances: TestServer[] = [];
  beforeAll(async () => {
    pg = await postgresDatabase();
    const env = { REDIS_URL: TEST_REDIS_URL!, REDIS_PREFIX: testPrefix() };
    for (let i = 0; i < count; i++) instances.push(await startServer(pg.db, { env }));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(instances.map((s) => s.close()));
    await pg?.drop();
  });
  return () => instances;
}
