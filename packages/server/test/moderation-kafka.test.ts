import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';
import { startServer, uniqueName, type TestServer } from './support/harness.ts';
import { moderationSuite } from './suites/moderation.ts';

const BROKERS = (process.env.TEST_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const enabled = BROKERS.length > 0 && TEST_DATABASE_URL !== '';

/** The scaled tier: PostgreSQL, the outbox relayed to a real broker, consumers on Kafka consumer groups. */
(enabled ? describe : describe.skip)(
  enabled ? 'moderation and analytics (Kafka feed, PostgreSQL)' : 'moderation and analytics (Kafka feed; skipped: needs Kafka at TEST_KAFKA_BROKERS and TEST_DATABASE_URL)',
  () => {
    let database: TestDatabase;
    let server: TestServer;
    const dir = mkdtempSync(join(tmpdir(), 'parley-moderation-'));
    const configuredAdmin = uniqueName('admin');
    const prefix = `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
    const seen: Array<{ type: string; payload: Record<string, unknown> }> = [];
    let reader: { close(): Promise<void> } | null = null;

    beforeAll(async () => {
      database = await postgresDatabase();
      server = await startServer(database.db, {
        env: { ATTACHMENT_DIR: dir, KAFKA_BROKERS: BROKERS.join(','), KAFKA_TOPIC_PREFIX: prefix, ADMIN_USERS: configuredAdmin, OUTBOX_LEASE_TTL: '2' },
      });
      await server.parley.consumers.feed!.ready();
      // An independent reader of the moderation topic: what leaves for Kafka.
      const consumer = new Consumer({ clientId: 'moderation-test-reader', groupId: `${prefix}reader`, bootstrapBrokers: BROKERS, deserializers: stringDeserializers });
      const stream = await consumer.consume({ topics: [`${prefix}moderation`], mode: 'earliest', autocommit: false, maxWaitTime: 200 });
      stream.on('data', (record: { value: string }) => seen.push(JSON.parse(record.value)));
      reader = {
        async close() {
          await stream.close().catch(() => {});
          await consumer.close(true).catch(() => {});
        },
      };
    }, 60_000);
    afterAll(async () => {
      await reader?.close();
      await server?.close();
      await database?.drop();
    rmSync(dir, { recursive: true, force: true });
    });
    moderationSuite(() => ({ server, db: database.db, configuredAdmin, moderationEvents: async () => seen }), { timeoutMs: 30_000 });
  },
);
