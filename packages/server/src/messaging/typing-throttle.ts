/**
 * Decides which typing signals are worth relaying: the first `start` of a
 * window, and a `stop` that follows a relayed `start`. Entries are dropped on
 * `stop`, and stale ones are swept when the map grows, so it stays small.
 */
export class TypingThrottle {
  private readonly lastStart = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  admit(key: string, state: 'start' | 'stop'): boolean {
    const now = this.now();
    const last = this.lastStart.get(key);
    if (state === 'stop') return this.lastStart.delete(key);
    if (last !== undefined && now - last < this.windowMs) return false;
    if (this.lastStart.size > 10_000) this.sweep(now);
    this.lastStart.set(key, now);
    return true;
  }

  forget(key: string): void {
    this.lastStart.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, at] of this.lastStart) if (now - at >= this.windowMs) this.lastStart.delete(key);
  }
}
