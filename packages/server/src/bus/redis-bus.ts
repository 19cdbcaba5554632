import type { Bus, BusListener, Unsubscribe } from './bus.ts';
import { MemoryBus } from './memory-bus.ts';
import type { RedisClient } from '../redis.ts';
import { outgoingTraceparent, TRACEPARENT_LENGTH, withRemoteParent } from '../tracing/spans.ts';

export interface RedisBusStats {
  /** Payloads that arrived from Redis from other instances. */
  received: number;
  /** Of those, payloads for a channel with no local listener at arrival (wasted traffic). */
  unrouted: number;
  /** Payloads not sent to Redis because it was unreachable (local listeners still got them). */
  dropped: number;
}

const SEMICOLON = 0x3b;
const BAR = 0x7c;

/**
 * Fan-out across instances through Redis pub/sub.
 *
 * Local listeners are served in-process first, so an instance keeps delivering
 * to its own sockets while Redis is down; the payload also goes to Redis,
 * tagged with this instance's id, and the echo of our own publish is ignored.
 * The instance holds one Redis SUBSCRIBE per channel with at least one local
 * listener (node-redis pipelines the SUBSCRIBE/UNSUBSCRIBE of one tick into one
 * write), so Redis sends it nothing it would throw away. node-redis
 * re-subscribes by itself after a reconnect.
 *
 * On Redis a payload travels as `<instance id>|<payload>`, or, when the
 * publish is part of a sampled trace, `<instance id>;<traceparent>|<payload>`:
 * the W3C trace context rides in the tag, outside the frame, so the receiving
 * instance's delivery joins the sender's trace while the bytes written to
 * sockets stay the frame. Instances that predate it read everything after the
 * first `|` as the payload, so they still deliver traced payloads unchanged.
 *
 * Messages arrive as bytes (node-redis buffer mode): the echo of our own
 * publish — every payload, on a lone instance — is recognised by its tag and
 * dropped without being decoded.
 */
export class RedisBus implements Bus {
  readonly stats: RedisBusStats = { received: 0, unrouted: 0, dropped: 0 };
  private readonly local = new MemoryBus();
  private readonly counts = new Map<string, number>();
  private readonly tag: string;
  private readonly tracedTag: string;
  private readonly tagBytes: Buffer;
  private readonly tracedTagBytes: Buffer;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    instanceId: string,
    private readonly prefix: string,
  ) {
    this.tag = `${instanceId}|`;
    this.tracedTag = `${instanceId};`;
    this.tagBytes = Buffer.from(this.tag);
    this.tracedTagBytes = Buffer.from(this.tracedTag);
  }

  async publish(channel: string, payload: string): Promise<void> {
    await this.local.publish(channel, payload);
    if (!this.publisher.isReady) {
      this.stats.dropped++;
      return;
    }
    try {
      const traceparent = outgoingTraceparent();
      const tag = traceparent === undefined ? this.tag : `${this.tracedTag}${traceparent}|`;
      await this.publisher.publish(this.prefix + channel, tag + payload);
    } catch {
      this.stats.dropped++;
    }
  }

  async subscribe(channel: string, listener: BusListener): Promise<Unsubscribe> {
    const unsubscribeLocal = await this.local.subscribe(channel, listener);
    const count = this.counts.get(channel) ?? 0;
    this.counts.set(channel, count + 1);
    if (count === 0) await this.redisSubscribe(channel);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      await unsubscribeLocal();
      const left = (this.counts.get(channel) ?? 1) - 1;
      if (left > 0) {
        this.counts.set(channel, left);
        return;
      }
      this.counts.delete(channel);
      await this.subscriber.unsubscribe(this.prefix + channel, this.onMessage, true).catch(() => {});
    };
  }

  private async redisSubscribe(channel: string): Promise<void> {
    const subscribed = this.subscriber.subscribe(this.prefix + channel, this.onMessage, true);
    // While Redis is unreachable the SUBSCRIBE waits in node-redis' queue and is
    // sent on reconnect; local delivery must not wait for it.
    if (this.subscriber.isReady) await subscribed.catch(() => {});
    else subscribed.catch(() => {});
  }

  private readonly onMessage = (message: Buffer, redisChannel: Buffer): void => {
    if (startsWith(message, this.tagBytes) || startsWith(message, this.tracedTagBytes)) return;
    const channel = redisChannel.toString().slice(this.prefix.length);
    this.stats.received++;
    if (!this.counts.has(channel)) {
      this.stats.unrouted++;
      return;
    }
    const bar = message.indexOf(BAR);
    const payload = message.toString('utf8', bar + 1);
    // `;<traceparent>` right before the `|`: deliver under the sender's trace.
    const traceStart = bar - TRACEPARENT_LENGTH;
    if (traceStart > 0 && message[traceStart - 1] === SEMICOLON) {
      withRemoteParent(message.toString('latin1', traceStart, bar), () => void this.local.publish(channel, payload));
    } else {
      void this.local.publish(channel, payload);
    }
  };

  async close(): Promise<void> {
    await this.local.close();
    this.counts.clear();
  }
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
