import type {
  ConversationId,
  ConversationView,
  MemberView,
  MessageView,
  ReceiptPushFrame,
  Seq,
  UserId,
} from '@parley/protocol';
import { ConversationLog } from './conversation-log.ts';
import { Emitter } from './emitter.ts';

/** A conversation as the app shows it, kept current by frames. */
export interface ConversationSnapshot {
  id: ConversationId;
  type: 'direct' | 'group';
  title: string | null;
  /** A group's description; null when none. */
  description: string | null;
  /**
   * Members with their delivered / read cursors, moved forward by `receipt`
   * frames. Every member when `members.length === member_count` (direct chats,
   * small groups, or after `loadMembers`); else the server's preview: the
   * first few members and this user.
   */
  members: MemberView[];
  /** How many members the conversation has. */
  member_count: number;
  created_at: string;
  /** Highest seq known to exist. */
  last_seq: Seq;
  /** Everything up to here that is loaded is contiguous: where a resume starts. */
  cursor: Seq;
  /** This user's cursors. */
  read_seq: Seq;
  delivered_seq: Seq;
  unread_count: number;
  last_message: MessageView | null;
  /** Older history can still be loaded with `loadOlder`. */
  has_older: boolean;
}

/** Delivery state of one of this user's messages, for sent / delivered / read ticks. */
export type MessageStatus = 'pending' | 'failed' | 'sent' | 'delivered' | 'read';

/** Events of the client's conversation store (re-emitted by `ParleyClient`): entries arriving or changing, conversations changing. */
export interface StoreEvents {
  /**
   * A new entry was added (each seq once, whatever its route: push, ack, sync, backfill, history), as it
   * arrives: an early entry comes before the gap under it is filled; or a held message changed (an edit,
   * a delete, a reaction: `entry` is then the message as shown). `replayed` is false for a live push
   * (or this client's own ack) and true for what catch-up brought (sync after a (re)connect, gap fill,
   * older history). For each entry once and in seq order, listen to `entry`.
   */
  message: { conversationId: ConversationId; entry: MessageView; replayed: boolean };
  /**
   * Each entry of a conversation once, in seq order, when every entry before it (from where this client
   * started) has been handed over too: what a bot acts on. `replayed` as for `message`. The client saves
   * the conversation's cursor after the listeners have returned (see `CursorStore`).
   */
  entry: { conversationId: ConversationId; entry: MessageView; replayed: boolean };
  /** A conversation was discovered or its metadata changed. */
  conversation: ConversationSnapshot;
  conversation_removed: { conversationId: ConversationId };
  receipt: { conversationId: ConversationId; userId: UserId; deliveredSeq: Seq; readSeq: Seq };
  unread: { conversationId: ConversationId; count: number };
}

interface ConversationRecord {
  id: ConversationId;
  view: ConversationView | null;
  log: ConversationLog;
  readSeq: Seq;
  deliveredSeq: Seq;
  /** The server's unread count as of `seq`, when `readSeq` was `readSeq`: the base of the local count. */
  base: { seq: Seq; readSeq: Seq; unread: number };
  unread: number;
  /** Every member's delivered / read cursors, from views and receipts, never moving back. */
  cursors: Map<UserId, MemberCursors>;
  /** The whole member list when it was loaded page by page (the view holds only a preview), for this member_count. */
  allMembers: MemberView[] | null;
}

type MemberCursors = Pick<MemberView, 'delivered_seq' | 'read_seq'>;

function moveCursors(all: Map<UserId, MemberCursors>, userId: UserId, delivered: Seq, read: Seq): MemberCursors {
  const known = all.get(userId);
  const next = {
    delivered_seq: Math.max(known?.delivered_seq ?? 0, delivered),
    read_seq: Math.max(known?.read_seq ?? 0, read),
  };
  all.set(userId, next);
  return next;
}

/**
 * Every conversation this client knows, each with its ordered log, its
 * members' receipt cursors and an unread count kept in step with the server:
 * the server's `unread_count` as of the last REST view, plus messages from
 * others since, minus what this user has read since.
 */
export class ConversationStore {
  readonly events = new Emitter<StoreEvents>();
  private readonly records = new Map<ConversationId, ConversationRecord>();
  /** Entries that catch-up brought rather than a live push. */
  private readonly replayed = new WeakSet<MessageView>();
  /** The signed-in user: their own messages are never unread. */
  me: UserId | null = null;

  has(id: ConversationId): boolean {
    return this.records.has(id);
  }

  /** False for a conversation known only from a pushed message, whose view is still being fetched. */
  hasView(id: ConversationId): boolean {
    return this.records.get(id)?.view != null;
  }

  ids(): ConversationId[] {
    return [...this.records.keys()];
  }

  log(id: ConversationId): ConversationLog | undefined {
    return this.records.get(id)?.log;
  }

  snapshot(id: ConversationId): ConversationSnapshot | undefined {
    const r = this.records.get(id);
    return r?.view ? this.toSnapshot(r, r.view) : undefined;
  }

  /** The members of every held conversation (a person in several, once per conversation). */
  *members(): Generator<MemberView> {
    for (const r of this.records.values()) if (r.view) yield* this.membersOf(r, r.view);
  }

  /** Conversations with a known view, most recently active first. */
  list(): ConversationSnapshot[] {
    const out: ConversationSnapshot[] = [];
    for (const r of this.records.values()) if (r.view) out.push(this.toSnapshot(r, r.view));
    const activity = (c: ConversationSnapshot) => c.last_message?.created_at ?? c.created_at;
    return out.sort((a, b) => activity(b).localeCompare(activity(a)));
  }

  /** Cursors to resume every known conversation from. */
  cursors(): Record<ConversationId, Seq> {
    const out: Record<ConversationId, Seq> = {};
    for (const r of this.records.values()) out[r.id] = r.log.cursor;
    return out;
  }

  /**
   * Takes a conversation view from the server (REST or a `conversation`
   * frame). A new conversation's log starts at its `last_seq`: older entries
   * are history, loaded on demand.
   */
  upsertView(view: ConversationView): void {
    let r = this.records.get(view.id);
    if (!r) {
      r = this.create(view.id, view.last_seq);
    }
    // A REST answer can be older than frames already applied: cursors and the last message only move forward.
    for (const m of view.members) moveCursors(r.cursors, m.id, m.delivered_seq, m.read_seq);
    const newest = r.log.newest;
    const lastMessage = newest && (!view.last_message || newest.seq > view.last_message.seq) ? newest : view.last_message;
    // A loaded member list stays while the membership is the same size; a change asks for it again.
    if (r.allMembers && r.view?.member_count !== view.member_count) r.allMembers = null;
    r.view = { ...view, members: view.members.map((m) => ({ ...m })), last_message: lastMessage };
    r.log.observeLastSeq(view.last_seq);
    r.readSeq = Math.max(r.readSeq, view.read_seq);
    r.deliveredSeq = Math.max(r.deliveredSeq, view.delivered_seq);
    r.base = { seq: view.last_seq, readSeq: view.read_seq, unread: view.unread_count };
    this.events.emit('conversation', this.toSnapshot(r, r.view));
    this.recount(r);
  }

  /** Makes sure a conversation seen only in a pushed entry has a log, starting just below that entry. */
  ensure(id: ConversationId, firstSeq: Seq): void {
    if (!this.records.has(id)) this.create(id, Math.max(0, firstSeq - 1));
  }

  remove(id: ConversationId): void {
    if (this.records.delete(id)) this.events.emit('conversation_removed', { conversationId: id });
  }

  clear(): void {
    this.records.clear();
  }

  /**
   * Starts a conversation not held yet at `seq`: the entries after it are wanted (a saved cursor, or the
   * point the app chose). Returns false when the conversation is already held.
   */
  seed(id: ConversationId, seq: Seq): boolean {
    if (this.records.has(id)) return false;
    this.create(id, seq);
    return true;
  }

  /** Adds an entry; returns false for a duplicate. `replayed`: brought by catch-up rather than pushed live. */
  insert(entry: MessageView, replayed = false): boolean {
    this.ensure(entry.conversation_id, entry.seq);
    const r = this.records.get(entry.conversation_id)!;
    const cursorBefore = r.log.cursor;
    if (!r.log.insert(entry)) return false;
    if (replayed) this.replayed.add(entry);
    // The server moves the sender's cursors with each message they send, and tells nobody: a message
    // from another member is the news that their cursors moved. (Without it, a message Bob wrote
    // offline, stored after one of ours, left our tick short of "read" until a reload.)
    let moved: MemberCursors | null = null;
    if (entry.sender_id === this.me) {
      r.readSeq = Math.max(r.readSeq, entry.seq);
      r.deliveredSeq = Math.max(r.deliveredSeq, entry.seq);
    } else if (entry.message.type === 'text') {
      const before = r.cursors.get(entry.sender_id);
      if (!before || before.read_seq < entry.seq) moved = moveCursors(r.cursors, entry.sender_id, entry.seq, entry.seq);
    }
    if (r.view && (!r.view.last_message || r.view.last_message.seq <= entry.seq)) {
      r.view.last_message = entry;
      r.view.last_seq = Math.max(r.view.last_seq, entry.seq);
    }
    this.events.emit('message', { conversationId: entry.conversation_id, entry, replayed });
    // Entries that the insert made contiguous, oldest first: each is handed over once, in order.
    for (let seq = cursorBefore + 1; seq <= r.log.cursor; seq++) {
      const next = r.log.get(seq);
      if (next) this.events.emit('entry', { conversationId: r.id, entry: next, replayed: this.replayed.has(next) });
    }
    if (moved) {
      this.events.emit('receipt', { conversationId: r.id, userId: entry.sender_id, deliveredSeq: moved.delivered_seq, readSeq: moved.read_seq });
    }
    this.recount(r);
    return true;
  }

  /** Tells listeners a held message looks different (an optimistic change shown or rolled back). */
  touch(id: ConversationId, seq: Seq): void {
    const entry = this.records.get(id)?.log.shownAt(seq);
    if (entry) this.events.emit('message', { conversationId: id, entry, replayed: false });
  }

  /** Inserts a page of older history; returns the entries that were new. */
  addOlder(id: ConversationId, entries: readonly MessageView[], hasMore: boolean): MessageView[] {
    const r = this.records.get(id);
    if (!r) return [];
    const added = r.log.addOlder(entries, hasMore);
    for (const entry of added) this.events.emit('message', { conversationId: id, entry, replayed: true });
    if (added.length > 0) this.recount(r);
    return added;
  }

  /** Takes the whole member list (paged from the server) of a conversation whose view holds a preview. */
  setMembers(id: ConversationId, members: readonly MemberView[]): void {
    const r = this.records.get(id);
    if (!r?.view) return;
    for (const m of members) moveCursors(r.cursors, m.id, m.delivered_seq, m.read_seq);
    r.allMembers = members.map((m) => ({ ...m }));
    // The list is the truth about the count as of now.
    r.view.member_count = members.length;
    this.events.emit('conversation', this.toSnapshot(r, r.view));
  }

  /** True when the members of the conversation's snapshot are all of them, not a preview. */
  hasAllMembers(id: ConversationId): boolean {
    const r = this.records.get(id);
    return !!r?.view && this.membersOf(r, r.view).length >= r.view.member_count;
  }

  /** Applies a `receipt` frame to the member's cursors (never moving them back). */
  applyReceipt(frame: ReceiptPushFrame): void {
    const r = this.records.get(frame.conversation_id);
    if (!r) return;
    if (frame.user_id === this.me) {
      r.readSeq = Math.max(r.readSeq, frame.read_seq);
      r.deliveredSeq = Math.max(r.deliveredSeq, frame.delivered_seq);
      this.recount(r);
    }
    // Kept apart from the view: a receipt may arrive before the view does.
    const cursors = moveCursors(r.cursors, frame.user_id, frame.delivered_seq, frame.read_seq);
    this.events.emit('receipt', {
      conversationId: frame.conversation_id,
      userId: frame.user_id,
      deliveredSeq: cursors.delivered_seq,
      readSeq: cursors.read_seq,
    });
  }

  /** Moves this user's read cursor locally (before the server confirms). */
  markRead(id: ConversationId, seq: Seq): void {
    const r = this.records.get(id);
    if (!r) return;
    r.readSeq = Math.max(r.readSeq, seq);
    r.deliveredSeq = Math.max(r.deliveredSeq, seq);
    this.recount(r);
  }

  readSeq(id: ConversationId): Seq {
    return this.records.get(id)?.readSeq ?? 0;
  }

  deliveredSeq(id: ConversationId): Seq {
    return this.records.get(id)?.deliveredSeq ?? 0;
  }

  /**
   * Ticks for this user's message at `seq`: `read` once every other member has
   * read it, `delivered` once every other member's device has it, else `sent`.
   */
  status(id: ConversationId, seq: Seq): Exclude<MessageStatus, 'pending' | 'failed'> {
    const r = this.records.get(id);
    if (!r) return 'sent';
    if (r.view && this.membersOf(r, r.view).length < r.view.member_count) return this.statusByCount(r, r.view.member_count, seq);
    const ids = r.view ? this.membersOf(r, r.view).map((m) => m.id) : [...r.cursors.keys()];
    const others = ids.filter((m) => m !== this.me).map((m) => r.cursors.get(m) ?? { delivered_seq: 0, read_seq: 0 });
    if (others.length > 0 && others.every((m) => m.read_seq >= seq)) return 'read';
    if (others.length > 0 && others.every((m) => m.delivered_seq >= seq)) return 'delivered';
    return 'sent';
  }

  /**
   * Ticks in a group known only by its preview: the cursors learned from
   * views and receipts are counted against `member_count`, so `read` shows
   * once as many other members as there are have been seen reading it.
   */
  private statusByCount(r: ConversationRecord, memberCount: number, seq: Seq): Exclude<MessageStatus, 'pending' | 'failed'> {
    const others = Math.max(memberCount - 1, 0);
    let read = 0;
    let delivered = 0;
    for (const [userId, cursors] of r.cursors) {
      if (userId === this.me) continue;
      if (cursors.read_seq >= seq) read++;
      if (cursors.delivered_seq >= seq) delivered++;
    }
    if (others > 0 && read >= others) return 'read';
    if (others > 0 && delivered >= others) return 'delivered';
    return 'sent';
  }

  private membersOf(r: ConversationRecord, view: ConversationView): MemberView[] {
    return r.allMembers ?? view.members;
  }

  private create(id: ConversationId, start: Seq): ConversationRecord {
    const r: ConversationRecord = {
      id,
      view: null,
      log: new ConversationLog(start),
      readSeq: 0,
      deliveredSeq: 0,
      base: { seq: start, readSeq: 0, unread: 0 },
      unread: 0,
      cursors: new Map(),
      allMembers: null,
    };
    this.records.set(id, r);
    return r;
  }

  private recount(r: ConversationRecord): void {
    const count = this.unreadOf(r);
    if (count === r.unread) return;
    r.unread = count;
    this.events.emit('unread', { conversationId: r.id, count });
  }

  private unreadOf(r: ConversationRecord): number {
    const { seq: S, readSeq: R0, unread: U } = r.base;
    const R = r.readSeq;
    const others = (after: Seq, upTo?: Seq) => r.log.countFromOthers(this.me, after, upTo);
    if (R >= S) return others(R);
    // Of the U unread at S, drop those read since (as far as the log shows them), but never claim more than S - R.
    const stillUnread = Math.min(Math.max(U - others(R0, R), 0), S - R);
    return stillUnread + others(S);
  }

  private toSnapshot(r: ConversationRecord, view: ConversationView): ConversationSnapshot {
    return {
      id: view.id,
      type: view.type,
      title: view.title,
      description: view.description,
      members: this.membersOf(r, view).map((m) => ({ ...m, ...r.cursors.get(m.id) })),
      member_count: view.member_count,
      created_at: view.created_at,
      last_seq: Math.max(view.last_seq, r.log.lastSeq),
      cursor: r.log.cursor,
      read_seq: r.readSeq,
      delivered_seq: r.deliveredSeq,
      unread_count: r.unread,
      last_message: view.last_message,
      has_older: r.log.hasOlder,
    };
  }
}
