import { afterAll, beforeAll, describe } from 'vitest';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from './support/databases.ts';
import { startServer, uniqueName, type TestServer } from './support/harness.ts';
import { eventEndpointsSuite } from './suites/event-endpoints.ts';
import { operatorBotsSuite } from './suites/operator-bots.ts';

/**
 * What server operators manage for integrations, on both storage tiers,
 * each with a fresh database (its first account is the operator; ADMIN_USERS
 * names two more) and no Kafka: the consumer that queues event deliveries
 * reads the outbox in-process, as on `npm start`.
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
  (skip ? describe.skip : describe)(`operator integrations (${kind}${skip ? '; skipped: needs TEST_DATABASE_URL' : ''})`, () => {
    const configuredAdmin = uniqueName('admin');
    const configuredBot = uniqueName('adminbot');
    let database: TestDatabase;
    let server: TestServer;
    let strict: TestServer;
    beforeAll(async () => {
      database = await makeDatabase(kind);
      server = await startServer(database.db, { env: { ...FAST, ADMIN_USERS: `${configuredAdmin},${configuredBot}` } });
      // Registration checks as in production; it sends nothing (it would refuse the receivers' loopback address).
      strict = await startServer(database.db, { env: { ...FAST, INTEGRATION_ALLOW_PRIVATE_URLS: 'off', INTEGRATION_CONCURRENCY: '0' } });
    });
    afterAll(async () => {
      await strict?.close();
      await server?.close();
      await database?.drop();
    });
    // First: its first registration is the server's first account.
    describe('event endpoints', () => eventEndpointsSuite(() => ({ server, strict, db: database.db })));
    describe('operator bots', () => operatorBotsSuite(() => ({ server, db: database.db, configuredAdmin, configuredBot })));
  });
}
