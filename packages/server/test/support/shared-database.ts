import { afterAll, beforeAll } from 'vitest';
import type { MemoryBus } from '../../src/bus/memory-bus.ts';
import { pgliteDatabase, type TestDatabase } from './databases.ts';
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
