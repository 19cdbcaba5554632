import type { ConversationId, Seq, ServerFrame } from '@parley/protocol';
import type { ConnectionState } from './connection.ts';
import type { ConversationStore } from './conversation-store.ts';
import type { ParleyError } from './errors.ts';
import type { OutgoingFrame } from './socket.ts';

export interface ReceiptsOptions {
  transport: {
    readonly state: ConnectionState;
    send(frame: OutgoingFrame): boolean;
    request(frame: OutgoingFrame): Promise<ServerFrame>;
  };
  store: ConversationStore;
  onError: (err: ParleyError) => void;
  /** Window over which `delivered` receipts of one conversation are coalesced, ms (default 250). */
  deliveredDelayMs?: number;
}

/**
 * Sends this user's receipts. `delivered` goes out by itself for what
 * arrives, at most once per conversation per window and for the contiguous
 * cursor only (the highest seq below which nothing is missing), so a burst of
 * a hundred messages costs one frame. `read` is the app's call; both wait for
 * the socket when it is down. Incoming `receipt` frames are the store's.
 */
export class Receipts {
  private readonly timers = new Map<ConversationId, ReturnType<typeof setTimeout>>();
  /** `delivered` sent on this socket and not yet confirmed by a receipt. */
  private readonly sentDelivered = new Map<ConversationId, Seq>();
  private readonly pendingRead = new Map<ConversationId, Seq>();

  constructor(private readonly options: ReceiptsOptions) {}

  /** Entries from others reached the store: report them delivered once the window closes. */
  noteReceived(id: ConversationId): void {
    if (this.timers.has(id)) return;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        this.flushDelivered(id);
      }, this.options.deliveredDelayMs ?? 250),
    );
  }

  /** Marks the conversation read up to `seq` (default: everything held); the unread count drops at once. */
  markRead(id: ConversationId, seq?: Seq): void {
    const target = seq ?? this.options.store.log(id)?.cursor ?? 0;
    if (target < 1) return;
    this.options.store.markRead(id, target);
    this.pendingRead.set(id, Math.max(this.pendingRead.get(id) ?? 0, target));
    this.flushRead(id);
  }

  /** On every `ready`: send what waited for the socket. */
  onReady(): void {
    this.sentDelivered.clear();
    for (const id of this.pendingRead.keys()) this.flushRead(id);
    for (const id of this.options.store.ids()) this.flushDelivered(id);
  }

  reset(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.sentDelivered.clear();
    this.pendingRead.clear();
  }

  private flushDelivered(id: ConversationId): void {
    const seq = this.options.store.log(id)?.cursor ?? 0;
    if (seq < 1 || seq <= this.options.store.deliveredSeq(id) || seq <= (this.sentDelivered.get(id) ?? 0)) return;
    if (this.options.transport.send({ type: 'delivered', conversation_id: id, seq })) this.sentDelivered.set(id, seq);
  }

  private flushRead(id: ConversationId): void {
    const seq = this.pendingRead.get(id);
    if (seq === undefined || this.options.transport.state !== 'connected') return;
    this.pendingRead.delete(id);
    // The reply is a `receipt` frame, applied to the store like any other.
    this.options.transport.request({ type: 'read', conversation_id: id, seq }).catch((err: ParleyError) => {
      if (err.retryable) {
        this.pendingRead.set(id, Math.max(this.pendingRead.get(id) ?? 0, seq));
        if (err.code !== 'disconnected') this.flushRead(id);
        return;
      }
      this.options.onError(err);
    });
  }
}
