import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { EVENT_HEADERS, EVENT_TOPICS } from '@parley/protocol';
import type { EventSink, OutboxEvent } from './event-sink.ts';

export interface KafkaSinkOptions {
  brokers: string[];
  clientId: string;
  /** Prepended to the domain: `parley.` + `messages`. */
  topicPrefix: string;
  /** Milliseconds a request to Kafka may take; keep it well under the relay lease. */
  timeoutMs?: number;
}

/**
 * Publishes outbox events to Kafka with an idempotent producer (acks from
 * all in-sync replicas; the broker drops the producer's own retries), one
 * topic per domain, keyed by conversation (user for user events) so a key's
 * events stay in one partition, in order. The value is the JSON envelope; the
 * headers repeat its type, schema version and event id.
 *
 * Before its first send (and after each failure) it makes sure the topics
 * exist with every partition led, creating missing ones with the broker's
 * default partition count and replication: a producer that sent while a
 * topic was still being auto-created would spread one key over two
 * partitions, and its order with it. For the same reason, never add
 * partitions to an event topic in use.
 *
 * After a failed send the producer is replaced: its sequence state may no
 * longer match the broker's, and the relay sends the same batch again anyway.
 */
export class KafkaSink implements EventSink {
  readonly name = 'kafka';
  private producer: Producer<string, string, string, string> | null = null;

  constructor(private readonly options: KafkaSinkOptions) {}

  topicOf(event: OutboxEvent): string {
    return this.options.topicPrefix + event.topic;
  }

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (!this.producer) {
      await this.ensureTopics();
      this.producer = this.open();
    }
    const producer = this.producer;
    try {
      await producer.send({
        messages: events.map((e) => ({
          topic: this.topicOf(e),
          key: e.envelope.key,
          value: JSON.stringify(e.envelope),
          headers: {
            [EVENT_HEADERS.type]: e.envelope.type,
            [EVENT_HEADERS.schemaVersion]: String(e.envelope.schema_version),
            [EVENT_HEADERS.eventId]: e.envelope.event_id,
          },
        })),
      });
    } catch (err) {
      this.producer = null;
      await producer.close(true).catch(() => {});
      throw err;
    }
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.close(true);
  }

  /** Makes sure every event topic exists with its partitions led (also used by the Kafka consumer feed before it subscribes). */
  async ensureTopics(): Promise<void> {
    const timeout = this.options.timeoutMs ?? 5_000;
    const admin = new Admin({ clientId: this.options.clientId, bootstrapBrokers: this.options.brokers, timeout, connectTimeout: timeout, retries: 1 });
    const topics = EVENT_TOPICS.map((t) => this.options.topicPrefix + t);
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      // Another client may create one at the same moment: then only its existence matters.
      if (missing.length > 0) await admin.createTopics({ topics: missing }).catch(() => {});
      for (let attempt = 0; ; attempt++) {
        const metadata = await admin.metadata({ topics, forceUpdate: true });
        const led = topics.every((t) => {
          const topic = metadata.topics.get(t);
          return topic !== undefined && topic.partitionsCount > 0 && topic.partitions.every((p) => p.leader >= 0);
        });
        if (led) return;
        if (attempt >= 50) throw new Error(`Kafka topics ${topics.join(', ')} are not ready`);
        await sleep(100);
      }
    } finally {
      await admin.close().catch(() => {});
    }
  }

  private open(): Producer<string, string, string, string> {
    const timeout = this.options.timeoutMs ?? 5_000;
    return new Producer({
      clientId: this.options.clientId,
      bootstrapBrokers: this.options.brokers,
      serializers: stringSerializers,
      idempotent: true,
      timeout,
      connectTimeout: timeout,
      retries: 3,
      retryDelay: 250,
    });
  }
}
