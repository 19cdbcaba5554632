import type { MessageView, Seq, UserId } from '@parley/protocol';

/**
 * The entries of one conversation that this client holds, ordered by `seq`.
 *
 * The server's log is dense (1, 2, 3, …), so the client can tell exactly what
 * it is missing. It holds a contiguous run `(floor, cursor]`, older entries
 * below `floor` are loaded on demand (`addOlder`), and entries that arrived
 * early sit above `cursor` until the gap below them is filled. `cursor` is
 * what `sync` resumes from; `lastSeq` is the highest seq known to exist.
 */
export class ConversationLog {
  private readonly bySeq = new Map<Seq, MessageView>();
  private sorted: MessageView[] = [];
  private cursorSeq: Seq;
  private floorSeq: Seq;
  private lastKnown: Seq;
  private older: boolean;

  /** @param start the seq up to which this client does not need entries yet (everything above it is wanted). */
  constructor(start: Seq = 0) {
    this.cursorSeq = start;
    this.floorSeq = start;
    this.lastKnown = start;
    this.older = start > 0;
  }

  /** Every entry in `(floor, cursor]` is held: the resume point. */
  get cursor(): Seq {
    return this.cursorSeq;
  }

  /** Entries at or below `floor` are loaded only by `addOlder`. */
  get floor(): Seq {
    return this.floorSeq;
  }

  /** The highest seq known to exist, held or not. */
  get lastSeq(): Seq {
    return this.lastKnown;
  }

  /** True while older history may exist below what is held. */
  get hasOlder(): boolean {
    return this.older;
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Held entries, oldest first. */
  entries(): readonly MessageView[] {
    return this.sorted;
  }

  get(seq: Seq): MessageView | undefined {
    return this.bySeq.get(seq);
  }

  /** Adds an entry in its place; false (and nothing changes) when that seq is already held. */
  insert(entry: MessageView): boolean {
    if (this.bySeq.has(entry.seq)) return false;
    this.bySeq.set(entry.seq, entry);
    const at = this.indexAfter(entry.seq);
    if (at === this.sorted.length) this.sorted.push(entry);
    else this.sorted.splice(at, 0, entry);
    if (entry.seq > this.lastKnown) this.lastKnown = entry.seq;
    while (this.bySeq.has(this.cursorSeq + 1)) this.cursorSeq++;
    return true;
  }

  /** Records that entries up to `seq` exist (from a conversation view, a `synced` cursor, an ack). */
  observeLastSeq(seq: Seq): void {
    if (seq > this.lastKnown) this.lastKnown = seq;
  }

  /** The entries missing above the cursor, as an `after_seq` and a count, or null when nothing is missing. */
  gap(): { afterSeq: Seq; count: number } | null {
    if (this.lastKnown <= this.cursorSeq) return null;
    return { afterSeq: this.cursorSeq, count: this.lastKnown - this.cursorSeq };
  }

  /**
   * Adds a page of older history: the newest entries below `floor`, as
   * `GET …/messages?before_seq=floor+1` returns them.
   */
  addOlder(entries: readonly MessageView[], hasMore: boolean): MessageView[] {
    const added = entries.filter((e) => this.insert(e));
    const lowest = entries.reduce((min, e) => Math.min(min, e.seq), this.floorSeq + 1);
    this.floorSeq = Math.max(0, Math.min(this.floorSeq, lowest - 1));
    this.older = hasMore && this.floorSeq > 0;
    return added;
  }

  /** Where the next older page ends: pass as `before_seq`. */
  get olderBefore(): Seq {
    return this.floorSeq + 1;
  }

  /** Messages (not system entries) from anyone but `me` with `after < seq <= upTo`. */
  countFromOthers(me: UserId | null, after: Seq, upTo: Seq = Number.POSITIVE_INFINITY): number {
    let n = 0;
    for (let i = this.indexAfter(after); i < this.sorted.length; i++) {
      const e = this.sorted[i]!;
      if (e.seq > upTo) break;
      if (countsAsUnread(e, me)) n++;
    }
    return n;
  }

  /** The newest held entry. */
  get newest(): MessageView | undefined {
    return this.sorted[this.sorted.length - 1];
  }

  /** Index of the first entry with a seq greater than `seq`. */
  private indexAfter(seq: Seq): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * What counts as unread for `me`: messages from others, and calls that rang
 * `me` and went unanswered (a missed call). The server counts the same way.
 */
export function countsAsUnread(e: MessageView, me: UserId | null): boolean {
  if (e.message.type !== 'system') return e.sender_id !== me;
  return e.message.event === 'call_ended' && e.message.reason === 'invite_timeout' && me !== null && e.message.user_ids?.includes(me) === true;
}
