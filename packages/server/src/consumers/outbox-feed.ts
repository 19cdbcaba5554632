import type { Logger } from 'pino';
import type { Database } from '../store/database.ts';
import type { EventSink, OutboxEvent } from '../events/event-sink.ts';
import { ConsumerFailed, deliverTogether, type EventConsumer } from './event-consumer.ts';

/**
 * The embedded tier's feed: the outbox relay's sink when no Kafka is
 * configured, handing each event to the in-process consumers.
 *
 * Position: the relay's own `relayed_at` marks. The relay reads "not yet
 * relayed" in id order under its lease, so events whose transactions commit
 * out of id order are still delivered (a per-consumer "last id" cursor would
 * skip them), and pruning removes only relayed rows, i.e. rows every consumer
 * has handled. All consumers handle a batch in one transaction, with one
 * dedupe row per event under this sink's name (`deliverTogether`): a batch is
 * handled by every consumer or by none, and marked once it was. If one
 * consumer fails, the batch rolls back for all and comes again. The scaled
 * tier gives each consumer its own Kafka consumer group (and dedupe rows)
 * instead.
 */
export class OutboxConsumersSink implements EventSink {
  readonly name = 'in-process-consumers';

  constructor(
    private readonly db: Database,
    private readonly consumers: readonly EventConsumer[],
    private readonly log: Logger,
  ) {}

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    const batches = this.consumers.map((consumer) => ({
      consumer,
      events: events.filter((e) => consumer.topics.includes(e.topic)).map((e) => e.envelope),
    }));
    try {
      await deliverTogether(this.db, this.name, batches);
    } catch (err) {
      const failed = err instanceof ConsumerFailed ? { consumer: err.consumer, events: err.events, err: (err.cause as Error)?.message } : { err: (err as Error).message };
      this.log.warn(failed, 'event consumer failed; the batch will be retried');
      throw err;
    }
  }

  async close(): Promise<void> {}
}
