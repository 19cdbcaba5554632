import { REPLY_EXCERPT_LENGTH, type ChangeContent, type MessageView, type Seq, type ThreadSummary, type UserId } from '@parley/protocol';
import { applyChange, isChange } from './message-changes.ts';

/**
 * The entries of one conversation that this client holds, ordered by `seq`.
 *
 * The server's log is dense (1, 2, 3, …), so the client can tell exactly what
 * it is missing. It holds a contiguous run `(floor, cursor]`, older entries
 * below `floor` are loaded on demand (`addOlder`), and entries that arrived
 * early sit above `cursor` until the gap below them is filled. `cursor` is
 * what `sync` resumes from; `lastSeq` is the highest seq known to exist.
 *
 * `change` entries (edits, deletes, reactions) count for the cursor like any
 * entry but are not listed: each is applied to the message it targets, when
 * held, in seq order, whichever arrives first. Optimistic changes of this
 * client sit in an overlay until the server accepts (its change entry
 * arrives) or refuses them (the overlay is dropped: a rollback).
 *
 * Thread replies (entries with `thread_root`) are listed like any message and
 * also keep their root's `thread` summary current: the root as the server
 * last showed it counts the replies up to its `thread.last_reply_seq`; held
 * replies above that are added, whatever order they arrived in.
 */
export class ConversationLog {
  private readonly bySeq = new Map<Seq, MessageView>();
  private sorted: MessageView[] = [];
  /** Change entries held, by the seq of the message they change. */
  private readonly changes = new Map<Seq, MessageView[]>();
  /** Optimistic changes by target seq, applied over the confirmed entry in `entries()`. */
  private readonly overlays = new Map<Seq, Array<(entry: MessageView) => MessageView>>();
  private shown: MessageView[] | null = null;
  /** Held thread replies by root seq, in seq order. */
  private readonly threads = new Map<Seq, MessageView[]>();
  /** Each held root's thread summary as the server showed it (what its view already counts). */
  private readonly threadBase = new Map<Seq, ThreadSummary | undefined>();
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

  /** Held messages and system entries, oldest first, with changes (and this client's pending ones) applied. */
  entries(): readonly MessageView[] {
    if (this.overlays.size === 0) return this.sorted;
    this.shown ??= this.sorted.map((e) => this.overlaid(e));
    return this.shown;
  }

  /** The held entry at `seq` as shown (optimistic changes applied). */
  shownAt(seq: Seq): MessageView | undefined {
    const entry = this.bySeq.get(seq);
    return entry && !isChange(entry) ? this.overlaid(entry) : entry;
  }

  /**
   * Shows `apply` over the message at `seq` until the returned function is
   * called (when the server answered: its change entry is in the log by then,
   * or the change was refused and disappears).
   */
  overlay(seq: Seq, apply: (entry: MessageView) => MessageView): () => void {
    let list = this.overlays.get(seq);
    if (!list) this.overlays.set(seq, (list = []));
    list.push(apply);
    this.shown = null;
    return () => {
      const at = list.indexOf(apply);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0 && this.overlays.get(seq) === list) this.overlays.delete(seq);
      this.shown = null;
    };
  }

  private overlaid(entry: MessageView): MessageView {
    const list = this.overlays.get(entry.seq);
    return list ? list.reduce((e, apply) => apply(e), entry) : entry;
  }

  /** The held entry at `seq` (a message in its confirmed state, or a change entry). */
  get(seq: Seq): MessageView | undefined {
    return this.bySeq.get(seq);
  }

  /** Adds an entry in its place; false (and nothing changes) when that seq is already held. */
  insert(entry: MessageView): boolean {
    if (this.bySeq.has(entry.seq)) return false;
    if (entry.seq > this.lastKnown) this.lastKnown = entry.seq;
    if (isChange(entry)) {
      this.bySeq.set(entry.seq, entry);
      const target = (entry.message as ChangeContent).target_seq;
      let list = this.changes.get(target);
      if (!list) this.changes.set(target, (list = []));
      list.push(entry);
      list.sort((x, y) => x.seq - y.seq);
      const held = this.bySeq.get(target);
      if (held) this.replace(applyChange(held, entry));
    } else {
      // Changes that arrived before their message apply now, in seq order (those it already reflects are skipped).
      this.threadBase.set(entry.seq, entry.thread);
      const applied = this.withThread((this.changes.get(entry.seq) ?? []).reduce(applyChange, entry));
      this.bySeq.set(entry.seq, applied);
      const at = this.indexAfter(entry.seq);
      if (at === this.sorted.length) this.sorted.push(applied);
      else this.sorted.splice(at, 0, applied);
      this.shown = null;
      if (entry.thread_root !== undefined) this.addThreadReply(entry);
    }
    while (this.bySeq.has(this.cursorSeq + 1)) this.cursorSeq++;
    return true;
  }

  /** A thread's held replies, oldest first (a page read with `readThread` adds to them). */
  threadReplies(rootSeq: Seq): readonly MessageView[] {
    return (this.threads.get(rootSeq) ?? []).map((e) => this.bySeq.get(e.seq) ?? e);
  }

  private addThreadReply(reply: MessageView): void {
    const root = reply.thread_root!;
    let list = this.threads.get(root);
    if (!list) this.threads.set(root, (list = []));
    list.push(reply);
    list.sort((x, y) => x.seq - y.seq);
    const held = this.bySeq.get(root);
    if (held && !isChange(held)) this.replace(this.withThread(held));
  }

  /** The root with its thread summary: the server's, plus held replies above what it counted. */
  private withThread(root: MessageView): MessageView {
    const replies = this.threads.get(root.seq);
    if (!replies) return root;
    const base = this.threadBase.get(root.seq);
    const newer = replies.filter((r) => r.seq > (base?.last_reply_seq ?? 0));
    const last = newer[newer.length - 1];
    if (!last) return root;
    const thread: ThreadSummary = {
      reply_count: (base?.reply_count ?? 0) + newer.length,
      last_reply_seq: last.seq,
      last_reply_at: last.created_at,
      last_sender_id: last.sender_id,
    };
    return { ...root, thread };
  }

  /** Puts a new state of a held message in place of the old one. */
  private replace(entry: MessageView): void {
    if (this.bySeq.get(entry.seq) === entry) return;
    this.bySeq.set(entry.seq, entry);
    const at = this.indexAfter(entry.seq) - 1;
    if (this.sorted[at]?.seq === entry.seq) this.sorted[at] = entry;
    // Replies held below quote it as it is now (as a view read from the server would).
    const text = entry.message.type === 'text' ? entry.message.text.slice(0, REPLY_EXCERPT_LENGTH) : null;
    for (let i = at + 1; i < this.sorted.length; i++) {
      const reply = this.sorted[i]!;
      if (reply.reply_to?.seq !== entry.seq || reply.reply_to.text === text) continue;
      const quoted = { ...reply, reply_to: { ...reply.reply_to, text } };
      this.sorted[i] = quoted;
      this.bySeq.set(quoted.seq, quoted);
    }
    this.shown = null;
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

  /** Messages from anyone but `me` mentioning `me` (by name or `@everyone`) with `after < seq <= upTo`, thread replies included. */
  countMentions(me: UserId | null, after: Seq, upTo: Seq = Number.POSITIVE_INFINITY): number {
    let n = 0;
    for (let i = this.indexAfter(after); i < this.sorted.length; i++) {
      const e = this.sorted[i]!;
      if (e.seq > upTo) break;
      if (mentions(e, me)) n++;
    }
    return n;
  }

  /** Messages (not system entries, not thread replies) from anyone but `me` with `after < seq <= upTo`. */
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
  // Thread replies are unread in their thread, not in the conversation (as the server counts).
  if (e.message.type !== 'system') return e.sender_id !== me && e.thread_root === undefined;
  return e.message.event === 'call_ended' && e.message.reason === 'invite_timeout' && me !== null && e.message.user_ids?.includes(me) === true;
}

/** True when `e` is a message from someone else that mentions `me` by name or with `@everyone` (the server counts the same). */
export function mentions(e: MessageView, me: UserId | null): boolean {
  if (!e.mentions || me === null || e.sender_id === me || e.message.type === 'deleted') return false;
  return e.mentions.everyone || e.mentions.user_ids.includes(me);
}
