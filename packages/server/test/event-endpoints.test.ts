import { afterAll, beforeAll, describe } from 'vitest';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from './support/databases.ts';
import { startServer, type TestServer } from './support/harness.ts';
import { eventEndpointsSuite } from './suites/event-endpoints.ts';

/**
 * Outgoing event deliveries on both storage tiers, each with a fresh database
 * (its first account is the operator) and no Kafka: the consumer that queues
 * deliveries reads the outbox in-process, as on `npm start`.
 */
const FAST = {
  INTEGRATION_ALLOW_PRIVATE_URLS: 'on',
  INTEGRATION_RETRY_BASE_MS: '20',
  INTEGRATION_RETRY_MAX: '1',
  INTEGRATION_MAX_ATTEMPTS: '3',
  INTEGRATION_POLL_MS: '50',
  OUTBOX_LEASE_TTL: '1',
};

for (const kind of ['pglite', 'postgres'] as DatabaseKind[]) {
  const skip = kind === 'postgres' && !TEST_DATABASE_URL;
  (skip ? describe.skip : describe)(`event endpoints (${kind}${skip ? '; skipped: needs TEST_DATABASE_URL' : ''})`, () => {
    let database: TestDatabase;
    let server: TestServer;
    let strict: TestServer;
    beforeAll(async () => {
      database = await makeDatabase(kind);
      server = await startServer(database.db, { env: FAST });
      // Registration checks as in production; it sends nothing (it would refuse the receivers' loopback address).
      strict = await startServer(database.db, { env: { ...FAST, INTEGRATION_ALLOW_PRIVATE_URLS: 'off', INTEGRATION_CONCURRENCY: '0' } });
    });
    afterAll(async () => {
      await strict?.close();
      await server?.close();
      await database?.drop();
    });
    eventEndpointsSuite(() => ({ server, strict, db: database.db }));
  });
}
