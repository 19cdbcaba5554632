import { afterAll, beforeAll } from 'vitest';
import { MemoryBus } from '../../src/bus/memory-bus.ts';
import { makeDatabase, type DatabaseKind, type TestDatabase } from './databases.ts';
import { startServer, type TestServer } from './harness.ts';

/**
 * Two server instances sharing one database and one in-process bus: what the
 * integration suites run against, so every test also crosses instances.
 * Fields are filled in by `beforeAll`; suites read them in their own hooks.
 */
export interface Cluster {
  kind: DatabaseKind;
  database: TestDatabase;
  a: TestServer;
  b: TestServer;
}

export function useCluster(kind: DatabaseKind): Cluster {
  const cluster = { kind } as Cluster;
  beforeAll(async () => {
    cluster.database = await makeDatabase(kind);
    const bus = new MemoryBus();
    cluster.a = await startServer(cluster.database.db, { bus });
    cluster.b = await startServer(cluster.database.db, { bus });
  });
  afterAll(async () => {
    await cluster.a?.close();
    await cluster.b?.close();
    await cluster.database?.drop();
  });
  return cluster;
}
