/**
 * Sockets grouped by the second their access token expires, checked by one
 * timer for all of them (no timer per socket).
 */
export class ExpiryWheel<T> {
  private readonly buckets = new Map<number, Set<T>>();
  private readonly slot = new Map<T, number>();

  /** Files `item` under `expiresAt` (epoch seconds), replacing any earlier filing. */
  set(item: T, expiresAt: number): void {
    this.delete(item);
    let bucket = this.buckets.get(expiresAt);
    if (!bucket) this.buckets.set(expiresAt, (bucket = new Set()));
    bucket.add(item);
    this.slot.set(item, expiresAt);
  }

  delete(item: T): void {
    const at = this.slot.get(item);
    if (at === undefined) return;
    this.slot.delete(item);
    const bucket = this.buckets.get(at);
    bucket?.delete(item);
    if (bucket?.size === 0) this.buckets.delete(at);
  }

  /** Removes and returns every item whose expiry is at or before `now` (epoch seconds). */
  expire(now: number): T[] {
    const due: T[] = [];
    for (const [at, bucket] of this.buckets) {
      if (at > now) continue;
      for (const item of bucket) {
        due.push(item);
        this.slot.delete(item);
      }
      this.buckets.delete(at);
    }
    return due;
  }
}
