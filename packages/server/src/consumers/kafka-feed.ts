import type { Logger } from 'pino';
import { Consumer, stringDeserializers, type MessagesStream } from '@platformatic/kafka';
import type { EventEnvelope } from '@parley/protocol';
import type { Database } from '../store/database.ts';
import { KafkaSink } from '../events/kafka-sink.ts';
import { deliver, type ConsumerFeed, type EventConsumer } from './event-consumer.ts';

export interface KafkaFeedOptions {
  brokers: string[];
  clientId: string;
  topicPrefix: string;
  /** Consumer group = prefix + consumer name, e.g. `parley.moderation`. */
  groupPrefix: string;
  /** Milliseconds a request may take. */
  timeoutMs?: number;
}

type Stream = MessagesStream<string, string, string, string>;

/**
 * The scaled tier's feed: one Kafka consumer group per consumer, so each
 * consumer keeps its own committed offsets and any number of processes may
 * run it (partitions are shared out by the group). A record's offset is
 * committed only after `deliver` committed its effects: a crash between the
 * two redelivers the record, which the dedupe by event_id then skips. A new
 * group starts from the earliest retained record. A record that fails is
 * retried (with backoff) before the next one of its stream, so per-key order
 * holds and nothing is skipped.
 */
export class KafkaConsumerFeed implements ConsumerFeed {
  readonly name = 'kafka';
  private readonly running: Array<{ consumer: Consumer<string, string, string, string>; stream: Stream | null; loop: Promise<void> | null }> = [];
  private stopped = false;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly consumers: readonly EventConsumer[],
    private readonly log: Logger,
    private readonly options: KafkaFeedOptions,
  ) {}

  /**
   * Subscribes in the background: Kafka may be down when the server starts,
   * and sends never wait for it. Retries with backoff until subscribed.
   */
  async start(): Promise<void> {
    this.starting = (async () => {
      for (let backoff = 500; !this.stopped; backoff = Math.min(backoff * 2, 10_000)) {
        try {
          await this.subscribe();
          return;
        } catch (err) {
          this.log.warn({ err: (err as Error).message, retry_in_ms: backoff }, 'kafka consumer feed could not subscribe; retrying');
          await this.closeAll();
          await new Promise((r) => setTimeout(r, backoff).unref());
        }
      }
    })();
  }

  /** Resolves once every consumer is subscribed (tests). */
  async ready(): Promise<void> {
    await this.starting;
  }

  private async subscribe(): Promise<void> {
    const timeout = this.options.timeoutMs ?? 10_000;
    // Topics are created with their partitions by the relay's rule (kafka-sink.ts), never auto-created by a subscription.
    await new KafkaSink({ brokers: this.options.brokers, clientId: this.options.clientId, topicPrefix: this.options.topicPrefix, timeoutMs: timeout }).ensureTopics();
    for (const eventConsumer of this.consumers) {
      if (this.stopped) return;
      const consumer = new Consumer({
        clientId: `${this.options.clientId}-${eventConsumer.name}`,
        groupId: this.options.groupPrefix + eventConsumer.name,
        bootstrapBrokers: this.options.brokers,
        deserializers: stringDeserializers,
        timeout,
        connectTimeout: timeout,
        retries: 3,
      });
      const entry: (typeof this.running)[number] = { consumer, stream: null, loop: null };
      this.running.push(entry);
      const stream = await consumer.consume({
        topics: eventConsumer.topics.map((t) => this.options.topicPrefix + t),
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: false,
        maxWaitTime: 200,
      });
      entry.stream = stream;
      entry.loop = this.run(eventConsumer, stream);
    }
  }

  private async run(eventConsumer: EventConsumer, stream: Stream): Promise<void> {
    try {
      for await (const record of stream) {
        let envelope: EventEnvelope;
        try {
          envelope = JSON.parse(record.value) as EventEnvelope;
        } catch {
          // Not ours to fix: a record that is not an envelope is skipped (and committed), never retried forever.
          this.log.warn({ consumer: eventConsumer.name, topic: record.topic, offset: String(record.offset) }, 'skipping a record that is not an event envelope');
          await record.commit();
          continue;
        }
        for (let backoff = 250; ; backoff = Math.min(backoff * 2, 5_000)) {
          if (this.stopped) return;
          try {
            await deliver(this.db, eventConsumer, envelope);
            break;
          } catch (err) {
            this.log.warn({ consumer: eventConsumer.name, event_id: envelope.event_id, err: (err as Error).message }, 'event consumer failed; retrying');
            await new Promise((r) => setTimeout(r, backoff).unref());
          }
        }
        await record.commit();
      }
    } catch (err) {
      if (!this.stopped) this.log.error({ consumer: eventConsumer.name, err: (err as Error).message }, 'kafka consumer stopped');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    await this.closeAll();
  }

  private async closeAll(): Promise<void> {
    for (const entry of this.running.splice(0)) {
      await entry.stream?.close().catch(() => {});
      await entry.loop;
      await entry.consumer.close(true).catch(() => {});
    }
  }
}
