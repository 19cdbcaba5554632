import type { Logger } from 'pino';
import type { Database } from '../store/database.ts';
import { pruneHandled, type EventConsumer } from './event-consumer.ts';
import { KafkaConsumerFeed } from './kafka-feed.ts';
import { OutboxConsumersSink } from './outbox-feed.ts';

export interface ConsumerHostOptions {
  kafka: { brokers: string[]; clientId: string; topicPrefix: string } | null;
  dedupeRetentionSeconds: number;
}

/**
 * Runs a set of event consumers on the feed the configuration selects: with
 * Kafka, a consumer group per consumer (`feed`); without, the outbox relay's
 * sink (`sink`, handed to the relay by the composition root). Prunes the
 * dedupe rows hourly.
 */
export class ConsumerHost {
  readonly feed: KafkaConsumerFeed | null;
  readonly sink: OutboxConsumersSink | null;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    readonly consumers: readonly EventConsumer[],
    private readonly log: Logger,
    private readonly options: ConsumerHostOptions,
  ) {
    const { kafka } = options;
    this.feed = kafka && consumers.length > 0 ? new KafkaConsumerFeed(db, consumers, log, { ...kafka, groupPrefix: kafka.topicPrefix }) : null;
    this.sink = !kafka && consumers.length > 0 ? new OutboxConsumersSink(db, consumers, log) : null;
  }

  async start(): Promise<void> {
    if (this.consumers.length === 0) return;
    await this.feed?.start();
    this.pruneTimer = setInterval(() => {
      pruneHandled(this.db, this.options.dedupeRetentionSeconds).catch((err: Error) => this.log.warn({ err: err.message }, 'consumer dedupe prune failed'));
    }, 3_600_000).unref();
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.feed?.stop();
  }
}
