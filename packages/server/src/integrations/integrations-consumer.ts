import { EVENT_TOPICS, type EventEnvelope } from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import type { EventConsumer } from '../consumers/event-consumer.ts';
import { DeliveryQueue } from './delivery-queue.ts';

/**
 * Feeds the delivery queue from the event stream: every event of every topic
 * is queued for the enabled endpoints that want it, in the transaction that
 * marks the event handled, so an event is queued once per endpoint however
 * often the feed repeats it (the outbox in the embedded tier, Kafka in the
 * scaled one). Sending is the delivery worker's, on every server instance.
 */
export class IntegrationsConsumer implements EventConsumer {
  readonly name = 'integrations';
  readonly topics = EVENT_TOPICS;

  /** `queued`: told after a batch that queued something has committed (wakes this process's worker). */
  constructor(private readonly queued: () => void = () => {}) {}

  handle(event: EventEnvelope, tx: Sql): Promise<void> {
    return this.handleBatch([event], tx);
  }

  /** A relay batch in one or two statements (`enqueueBatch`). */
  async handleBatch(events: readonly EventEnvelope[], tx: Sql): Promise<void> {
    await DeliveryQueue.enqueueBatch(tx, events);
  }

  committed(): void {
    this.queued();
  }
}
