import type { Bus, BusListener, Unsubscribe } from './bus.ts';

/**
 * The in-process bus of the embedded tier. Several servers created in one
 * process may share one, which is how multi-instance behaviour is tested
 * without Redis. Delivery is asynchronous, like a real pub/sub.
 */
export class MemoryBus implements Bus {
  private readonly channels = new Map<string, Set<BusListener>>();
  private closed = false;

  async publish(channel: string, payload: string): Promise<void> {
    if (this.closed) return;
    const listeners = this.channels.get(channel);
    if (!listeners) return;
    for (const listener of listeners) queueMicrotask(() => listener(payload));
  }

  async subscribe(channel: string, listener: BusListener): Promise<Unsubscribe> {
    let listeners = this.channels.get(channel);
    if (!listeners) this.channels.set(channel, (listeners = new Set()));
    // Wrapping makes each subscription distinct even when one function subscribes twice.
    const entry: BusListener = (payload) => listener(payload);
    listeners.add(entry);
    return async () => {
      listeners.delete(entry);
      if (listeners.size === 0 && this.channels.get(channel) === listeners) this.channels.delete(channel);
    };
  }

  /** Channels that have at least one listener. */
  get channelCount(): number {
    return this.channels.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channels.clear();
  }
}
