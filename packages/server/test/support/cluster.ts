import { afterAll, beforeAll } from 'vitest';
import { MemoryBus } from '../../src/bus/memory-bus.ts';
import { MemoryPresence } from '../../src/presence/memory-presence.ts';
import { MemoryCallStore } from '../../src/calls/memory-call-store.ts';
import { makeDatabase, type DatabaseKind, type TestDatabase } from './databases.ts';
import { startServer, type TestServer } from './harness.ts';

/**
 * Two server instances sharing one database, one in-process bus and one
 * presence store: what the
 * integration suites run against, so every test also crosses instances.
 * Fields are filled in by `beforeAll`; suites read them in their own hooks.
 */
export interface Cluster {
  kind: DatabaseKind;
  database: TestDatabase;
  a: TestServer;
  b: TestServer;
}

export const LARGE_ROOM_THRESHOLD = 5;

export function useCluster(kind: DatabaseKind): Cluster {
  const cluster = { kind } as Cluster;
  beforeAll(async () => {
    cluster.database = await makeDatabase(kind);
    const bus = new MemoryBus();
    const presence = new MemoryPresence(45_000);
    const calls = new MemoryCallStore();
    // A low threshold, so groups in the suites take the room-channel path and direct chats the per-user one.
    // No refresh-reuse grace: the auth suite checks that any reuse revokes the session.
    const env = { LARGE_ROOM_THRESHOLD: String(LARGE_ROOM_THRESHOLD), JWT_REFRESH_REUSE_GRACE: '0' };
    cluster.a = await startServer(cluster.database.db, { bus, presence, calls, env });
    cluster.b = await startServer(cluster.database.db, { bus, presence, calls, env });
  });
  afterAll(async () => {
    await cluster.a?.close();
    await cluster.b?.close();
    await cluster.database?.drop();
  });
  return cluster;
}
