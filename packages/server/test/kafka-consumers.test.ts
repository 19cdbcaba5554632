import { afterAll, beforeAll, describe } from 'vitest';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';
import { createLogger } from '../src/logger.ts';
import { OutboxRelay } from '../src/events/outbox-relay.ts';
import { KafkaSink } from '../src/events/kafka-sink.ts';
import { KafkaConsumerFeed } from '../src/consumers/kafka-feed.ts';
import { consumerFeedContract } from '../src/consumers/consumer-feed-contract.ts';

const BROKERS = (process.env.TEST_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const enabled = BROKERS.length > 0 && TEST_DATABASE_URL !== '';
const silent = createLogger('silent');

/** The scaled tier's feed: outbox → relay → a real Kafka broker → one consumer group per consumer. */
(enabled ? describe : describe.skip)(
  enabled ? 'kafka consumer feed' : 'kafka consumer feed (skipped: needs Kafka at TEST_KAFKA_BROKERS and TEST_DATABASE_URL)',
  () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await postgresDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });

    consumerFeedContract(
      () => ({
        db: database.db,
        async start(consumers) {
          // Fresh topics per test (a new prefix), so each consumer group starts from an empty stream.
          const topicPrefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
          await database.db.query('UPDATE outbox SET relayed_at = now() WHERE relayed_at IS NULL');
          const kafka = { brokers: BROKERS, clientId: 'consumers-test', topicPrefix };
          const relay = new OutboxRelay(database.db, new KafkaSink(kafka), silent, {
            instanceId: crypto.randomUUID(),
            batch: 4,
            retentionSeconds: 3600,
            leaseTtlSeconds: 2,
            idleMs: 10,
            lingerMs: 1,
          });
          const feed = new KafkaConsumerFeed(database.db, consumers, silent, { ...kafka, groupPrefix: topicPrefix });
          await feed.start();
          await feed.ready();
          relay.start();
          return {
            async stop() {
              await relay.stop();
              await feed.stop();
            },
          };
        },
      }),
      { timeoutMs: 30_000 },
    );
  },
);
