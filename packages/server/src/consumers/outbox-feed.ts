import type { Logger } from 'pino';
import type { Database } from '../store/database.ts';
import type { EventSink, OutboxEvent } from '../events/event-sink.ts';
import { deliverBatch, type EventConsumer } from './event-consumer.ts';

/**
 * The embedded tier's feed: the outbox relay's sink when no Kafka is
 * configured, handing each event to the in-process consumers.
 *
 * Position: the relay's own `relayed_at` marks. The relay reads "not yet
 * relayed" in id order under its lease, so events whose transactions commit
 * out of id order are still delivered (a per-consumer "last id" cursor would
 * skip them), and pruning removes only relayed rows, i.e. rows every consumer
 * has handled. A batch is marked only once every consumer has handled every
 * event of it; if one consumer fails, the batch comes again to all of them
 * and the others skip what they already handled (dedupe by event_id in
 * `deliverBatch`, one transaction per consumer and batch). One consumer failing therefore holds back the others: fine for
 * one process with two consumers; the scaled tier gives each consumer its own
 * Kafka consumer group instead.
 */
export class OutboxConsumersSink implements EventSink {
  readonly name = 'in-process-consumers';

  constructor(
    private readonly db: Database,
    private readonly consumers: readonly EventConsumer[],
    private readonly log: Logger,
  ) {}

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    for (const consumer of this.consumers) {
      const mine = events.filter((e) => consumer.topics.includes(e.topic)).map((e) => e.envelope);
      try {
        // One transaction per consumer and batch: the consumer's effects and its dedupe rows commit together.
        await deliverBatch(this.db, consumer, mine);
      } catch (err) {
        this.log.warn({ consumer: consumer.name, events: mine.length, err: (err as Error).message }, 'event consumer failed; the batch will be retried');
        throw err;
      }
    }
  }

  async close(): Promise<void> {}
}
