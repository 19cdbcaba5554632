import type { EventEnvelope, EventTopic } from '@parley/protocol';

/** An outbox row on its way out: the envelope consumers see, with its topic and outbox position. */
export interface OutboxEvent {
  /** Outbox order (bigint as text): one key's events ascend in it. */
  id: string;
  topic: EventTopic;
  envelope: EventEnvelope;
}

/**
 * Where the relay delivers the outbox, in batches in outbox order. `publish`
 * resolves only once every event is durably accepted: the relay then marks
 * the batch relayed; if it throws, the same events come again later (so a
 * sink sees an event at least once, a repeat always with the same event_id).
 *
 * Kafka is one sink (`kafka-sink.ts`). This is also the seam for the embedded
 * tier's in-process consumers (moderation, analytics, issue #13): a sink that
 * hands each event to them reads the outbox with the same lease, order and
 * at-least-once guarantee, no Kafka needed.
 */
export interface EventSink {
  readonly name: string;
  publish(events: readonly OutboxEvent[]): Promise<void>;
  close(): Promise<void>;
}
