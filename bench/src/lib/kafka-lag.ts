import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { Histogram, nowMs } from './histogram.ts';

/**
 * Reads the `messages` topic a benchmarked server relays its outbox into and
 * measures, for each `message.created` event of the measured phase, the time
 * from the message's `created_at` (the send batch's transaction time, so a
 * little before its commit: the figure errs on the long side) to the moment
 * this consumer holds the record. Server and consumer share the machine's clock.
 */
export class KafkaLag {
  readonly histogram = new Histogram();
  /** Events of the measured phase seen, by event_id (a relay repeat counts once). */
  private readonly seen = new Set<string>();
  repeats = 0;
  malformed = 0;

  private constructor(
    private readonly consumer: Consumer<string, string, string, string>,
    private readonly stream: Awaited<ReturnType<Consumer<string, string, string, string>['consume']>>,
    measuredPrefix: string,
  ) {
    stream.on('data', (m) => {
      const at = nowMs();
      try {
        const envelope = JSON.parse(m.value!) as { event_id: string; type: string; payload: { created_at: string; message: { client_msg_id?: string } } };
        if (envelope.type !== 'message.created' || !envelope.payload.message.client_msg_id?.startsWith(measuredPrefix)) return;
        if (this.seen.has(envelope.event_id)) {
          this.repeats++;
          return;
        }
        this.seen.add(envelope.event_id);
        this.histogram.record(at - Date.parse(envelope.payload.created_at));
      } catch {
        this.malformed++;
      }
    });
    stream.on('error', () => {});
  }

  /** Subscribes to `topic` from its beginning (a fresh topic prefix per run, so only this run's events). */
  static async start(brokers: string[], topic: string, measuredPrefix: string): Promise<KafkaLag> {
    const consumer = new Consumer({
      groupId: `bench-lag-${crypto.randomUUID()}`,
      clientId: 'parley-bench-lag',
      bootstrapBrokers: brokers,
      deserializers: stringDeserializers,
      autocreateTopics: true,
      timeout: 5_000,
    });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 50 });
    return new KafkaLag(consumer, stream, measuredPrefix);
  }

  get count(): number {
    return this.seen.size;
  }

  /** Waits until `expected` measured events were seen or `timeoutMs` passed; true when all were seen. */
  async drained(expected: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.seen.size < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return this.seen.size >= expected;
  }

  async close(): Promise<void> {
    await this.stream.close().catch(() => {});
    await this.consumer.close(true).catch(() => {});
  }
}
