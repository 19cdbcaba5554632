import type { ChangeContent, MessageView, Seq, ThreadReadPushFrame, UserId } from '@parley/protocol';

/** A pinned message as the store shows it. */
export interface Pin {
  /** The pinned message's seq. */
  seq: Seq;
  pinned_at: string;
  pinned_by: UserId;
  /** The message as the pins list read it (absent for a pin learned from the log only: see `messages()`). */
  message?: MessageView;
}

/**
 * One conversation's pins, kept in log order: the list the server gave
 * (`GET …/pins`, as of its `as_of_seq`) plus the pin, unpin and delete
 * entries above that seq, applied in seq order whatever order they arrived
 * in. Without a list from the server it starts empty and holds what the log
 * said since.
 */
export class PinBoard {
  private base: Pin[] = [];
  private asOf: Seq = 0;
  /** Pin-relevant change entries (pinned, unpinned, deleted) by seq. */
  private readonly changes = new Map<Seq, MessageView>();
  private cached: Pin[] | null = null;

  /** Takes the server's list. */
  load(pins: readonly MessageView[], asOfSeq: Seq): void {
    this.base = pins.map((m) => ({ seq: m.seq, pinned_at: m.pinned_at ?? m.created_at, pinned_by: m.pinned_by ?? m.sender_id, message: m }));
    this.asOf = asOfSeq;
    this.cached = null;
  }

  /** Notes a change entry; true when it may move the pins. */
  observe(entry: MessageView): boolean {
    if (entry.message.type !== 'change') return false;
    const change = (entry.message as ChangeContent).change;
    if (change !== 'pinned' && change !== 'unpinned' && change !== 'deleted') return false;
    if (this.changes.has(entry.seq)) return false;
    this.changes.set(entry.seq, entry);
    this.cached = null;
    return true;
  }

  /** Current pins, most recently pinned first. */
  list(): readonly Pin[] {
    if (this.cached) return this.cached;
    const pins = new Map(this.base.map((p) => [p.seq, p]));
    for (const entry of [...this.changes.values()].filter((e) => e.seq > this.asOf).sort((x, y) => x.seq - y.seq)) {
      const content = entry.message as ChangeContent;
      if (content.change === 'pinned') pins.set(content.target_seq, { seq: content.target_seq, pinned_at: entry.created_at, pinned_by: entry.sender_id });
      else pins.delete(content.target_seq);
    }
    this.cached = [...pins.values()].sort((x, y) => y.pinned_at.localeCompare(x.pinned_at) || y.seq - x.seq);
    return this.cached;
  }
}

/**
 * This member's read state of each thread of one conversation: the server's
 * count as of a moment (a thread page or a `thread_read` frame), plus replies
 * from others held since, minus those read since: the same arithmetic as the
 * conversation's unread count.
 */
export class ThreadReads {
  private readonly states = new Map<Seq, { base: { lastSeq: Seq; readSeq: Seq; unread: number }; readSeq: Seq }>();

  /** Takes the server's state of a thread (`lastSeq`: the newest reply it had counted). */
  set(rootSeq: Seq, lastSeq: Seq, state: Pick<ThreadReadPushFrame, 'read_seq' | 'unread_count'>): void {
    const known = this.states.get(rootSeq);
    this.states.set(rootSeq, {
      base: { lastSeq, readSeq: state.read_seq, unread: state.unread_count },
      readSeq: Math.max(known?.readSeq ?? 0, state.read_seq),
    });
  }

  /** Moves the read cursor locally (before the server confirms). */
  markRead(rootSeq: Seq, seq: Seq): void {
    const known = this.states.get(rootSeq);
    if (known) known.readSeq = Math.max(known.readSeq, seq);
    else this.states.set(rootSeq, { base: { lastSeq: seq, readSeq: seq, unread: 0 }, readSeq: seq });
  }

  readSeq(rootSeq: Seq): Seq {
    return this.states.get(rootSeq)?.readSeq ?? 0;
  }

  /** Unread replies from others, given the held replies of the thread; null when the thread's state was never read from the server. */
  unread(rootSeq: Seq, replies: readonly MessageView[], me: UserId | null): number | null {
    const state = this.states.get(rootSeq);
    if (!state) return null;
    const others = (after: Seq, upTo = Number.POSITIVE_INFINITY) => replies.filter((r) => r.seq > after && r.seq <= upTo && r.sender_id !== me).length;
    const { lastSeq: S, readSeq: R0, unread: U } = state.base;
    const R = state.readSeq;
    if (R >= S) return others(R);
    return Math.max(U - others(R0, R), 0) + others(S);
  }
}
