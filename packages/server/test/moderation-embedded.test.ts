import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { pgliteDatabase, type TestDatabase } from './support/databases.ts';
import { startServer, uniqueName, type TestServer } from './support/harness.ts';
import { moderationSuite } from './suites/moderation.ts';

/** The embedded tier: PGlite, no Kafka; the consumers read the outbox in-process. */
describe('moderation and analytics (embedded: PGlite, in-process consumers)', () => {
  let database: TestDatabase;
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'parley-moderation-'));
  const configuredAdmin = uniqueName('admin');
  beforeAll(async () => {
    database = await pgliteDatabase();
    server = await startServer(database.db, { env: { ATTACHMENT_DIR: dir, ADMIN_USERS: `someone,${configuredAdmin}`, OUTBOX_LEASE_TTL: '1' } });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  moderationSuite(() => ({ server, db: database.db, configuredAdmin }), { timeoutMs: 15_000 });
});
