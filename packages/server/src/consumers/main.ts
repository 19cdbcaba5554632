#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openDatabase } from '../store/open-database.ts';
import { Audit } from '../audit.ts';
import { Sanctions } from '../moderation/sanctions.ts';
import { ModerationService } from '../moderation/moderation-service.ts';
import { LogEntryModerator } from '../moderation/message-moderator.ts';
import { MessageChanges } from '../messaging/message-changes.ts';
import { Notifier } from '../bus/notifier.ts';
import { FanOutPolicy } from '../bus/fan-out-policy.ts';
import { MemoryBus } from '../bus/memory-bus.ts';
import { RedisBus } from '../bus/redis-bus.ts';
import { openRedis } from '../redis.ts';
import { largeRoomsOf } from '../conversations/conversations-repo.ts';
import { buildConsumers } from './consumers.ts';
import { ConsumerHost } from './consumer-host.ts';

/**
 * `npm run consumers`: the event consumers (moderation, analytics, the search index) as their
 * own process, for the scaled tier: the same DATABASE_URL and KAFKA_BROKERS
 * as the servers, which then run with CONSUMERS_IN_PROCESS=off. Run as many
 * as wanted: each consumer is one Kafka consumer group, so they share the
 * partitions. The embedded tier (PGlite, no Kafka) runs its consumers inside
 * the server instead.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    if (!config.databaseUrl || config.events.kafkaBrokers.length === 0) {
      throw new ConfigError('the consumers process needs DATABASE_URL and KAFKA_BROKERS (without them, the server runs its consumers in-process)');
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`parley-consumers: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel).child({ component: 'consumers' });
  const db = await openDatabase(config);
  const sanctions = new Sanctions(db);
  // A rule hit's hide entry is pushed to the members through the servers' bus (Redis); without REDIS_URL
  // nothing is pushed from here and members learn the hide on their next sync.
  const redis = config.redisUrl ? openRedis(config.redisUrl, (err) => log.warn({ err: err.message }, 'redis connection error')) : null;
  if (!redis) log.warn('no REDIS_URL: hidden messages reach members on sync only, not pushed live');
  const bus = redis ? new RedisBus(redis.command, redis.subscriber, config.instanceId, config.redisPrefix) : new MemoryBus();
  const fanOut = new FanOutPolicy(config.largeRoomThreshold, (userId, threshold) => largeRoomsOf(db, userId, threshold));
  const changes = new MessageChanges(db, new Notifier(bus, log, fanOut));
  // No operator acts here (their routes are on the servers), so no attachments to remove either.
  const moderation = new ModerationService(db, new LogEntryModerator(changes, null), sanctions, new Audit(log));
  const { events } = config;
  const host = new ConsumerHost(db, buildConsumers(moderation), log, {
    kafka: { brokers: events.kafkaBrokers, clientId: `${events.kafkaClientId}-consumers`, topicPrefix: events.kafkaTopicPrefix },
    dedupeRetentionSeconds: config.moderation.dedupeRetention,
  });
  await host.start();
  log.info({ consumers: host.consumers.map((c) => c.name) }, 'event consumers running on Kafka');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    host.stop().then(() => bus.close()).then(() => redis?.close()).then(() => db.close()).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('parley-consumers: failed to start:', err);
  process.exit(1);
});
