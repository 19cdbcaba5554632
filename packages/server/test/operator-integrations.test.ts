import { afterAll, beforeAll, describe } from 'vitest';
import { makeDatabase, TEST_DATABASE_URL, type DatabaseKind, type TestDatabase } from './support/databases.ts';
import { startServer, uniqueName, type TestServer } from './support/harness.ts';
import { eventEndpointsSuite } from './suites/event-endpoints.ts';
import { operatorBotsSuite } from './suites/operator-bots.ts';

/**
 * What server operators manage for integrations, on both storage tiers (and
 * the event endpoints once more on the Kafka feed),
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

const BROKERS = (process.env.TEST_KAFKA_BROKERS ?? '').split(',').filter(Boolean);

for (const tier of ['pglite', 'postgres', 'postgres+kafka'] as const) {
  const kind: DatabaseKind = tier === 'pglite' ? 'pglite' : 'postgres';
  const kafka = tier === 'postgres+kafka';
  const missing = [kind === 'postgres' && !TEST_DATABASE_URL && 'TEST_DATABASE_URL', kafka && BROKERS.length === 0 && 'TEST_KAFKA_BROKERS'].filter(Boolean);
  // With Kafka the event endpoints run again on the scaled tier's feed (a consumer group per consumer); bots do not depend on it.
  (missing.length ? describe.skip : describe)(`operator integrations (${tier}${missing.length ? `; skipped: needs ${missing.join(', ')}` : ''})`, () => {
    const configuredAdmin = uniqueName('admin');
    const configuredBot = uniqueName('adminbot');
    let database: TestDatabase;
    let server: TestServer;
    let strict: TestServer;
    beforeAll(async () => {
      database = await makeDatabase(kind);
      const feed: Record<string, string> = kafka
        ? { KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC_PREFIX: `i${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`, OUTBOX_LEASE_TTL: '2' }
        : {};
      server = await startServer(database.db, { env: { ...FAST, ...feed, ADMIN_USERS: `${configuredAdmin},${configuredBot}` } });
      // Registration checks as in production; it sends nothing (it would refuse the receivers' loopback address).
      strict = await startServer(database.db, { env: { ...FAST, ...feed, INTEGRATION_ALLOW_PRIVATE_URLS: 'off', INTEGRATION_CONCURRENCY: '0' } });
      if (kafka) await Promise.all([server, strict].map((s) => s.parley.consumers.feed!.ready()));
    }, 180_000);
    afterAll(async () => {
      await strict?.close();
      await server?.close();
      await database?.drop();
    });
    // First: its first registration is the server's first account.
    describe('event endpoints', () => eventEndpointsSuite(() => ({ server, strict, db: database.db })));
    if (!kafka) describe('operator bots', () => operatorBotsSuite(() => ({ server, db: database.db, configuredAdmin, configuredBot })));
  });
}
