import { afterAll, beforeAll, describe } from 'vitest';
import { pgliteDatabase, type TestDatabase } from './support/databases.ts';
import { startServer, uniqueName, type TestServer } from './support/harness.ts';
import { RecordingMessageModerator } from './support/recording-moderator.ts';
import { moderationSuite } from './suites/moderation.ts';

/** The embedded tier: PGlite, no Kafka; the consumers read the outbox in-process. */
describe('moderation and analytics (embedded: PGlite, in-process consumers)', () => {
  let database: TestDatabase;
  let server: TestServer;
  const moderator = new RecordingMessageModerator();
  const configuredAdmin = uniqueName('admin');
  beforeAll(async () => {
    database = await pgliteDatabase();
    server = await startServer(database.db, { moderator, env: { ADMIN_USERS: `someone,${configuredAdmin}`, OUTBOX_LEASE_TTL: '1' } });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });
  moderationSuite(() => ({ server, db: database.db, moderator, configuredAdmin }), { timeoutMs: 15_000 });
});
