import {
  MAX_FRAME_BYTES,
  MAX_TEXT_LENGTH,
  isStorableText,
  type AckFrame,
  type ConversationId,
  type SendMessageFrame,
  type ServerFrame,
  type UserId,
} from '@parley/protocol';
import { Backoff } from './backoff.ts';
import type { ConnectionState } from './connection.ts';
import { Emitter } from './emitter.ts';
import { ParleyError, asParleyError } from './errors.ts';
import type { OutboxEntry, OutboxStore } from './outbox-stores/outbox-store.ts';
import type { OutgoingFrame } from './socket.ts';

/** What happened to a message in the outbox. */
export type OutboxEvent =
  | { kind: 'queued'; entry: OutboxEntry }
  | { kind: 'sent'; entry: OutboxEntry; ack: AckFrame }
  | { kind: 'failed'; entry: OutboxEntry; error: ParleyError }
  | { kind: 'discarded'; entry: OutboxEntry };

export interface OutboxEvents {
  outbox: OutboxEvent;
  /** The store failed to write or read: the outbox goes on in memory. */
  error: ParleyError;
}

/** The slice of the connection the outbox uses. */
export interface OutboxTransport {
  readonly state: ConnectionState;
  request(frame: OutgoingFrame): Promise<ServerFrame>;
}

export interface OutboxOptions {
  store: OutboxStore;
  transport: OutboxTransport;
  /** Backoff between retries of a send refused with a retryable error. */
  backoff?: Backoff;
  randomUUID?: () => string;
  now?: () => number;
}

/**
 * The durable outbox. `enqueue` returns at once with the pending entry; the
 * entry is written to the store and sent whenever the socket is up, one at a
 * time per conversation (so a retry can never overtake a later message), with
 * the same `client_msg_id` every time: the server stores each id once and
 * answers a resend with the original ack (`duplicate: true`). Only the ack
 * removes an entry. A refusal that cannot succeed on retry (see the protocol's
 * `retryableErrorCodes`) marks it `failed` for the app to retry or discard.
 */
export class Outbox {
  readonly events = new Emitter<OutboxEvents>();
  /** The signed-in user; only their entries are sent. */
  user: UserId | null = null;
  private readonly entries = new Map<string, OutboxEntry>();
  private readonly busy = new Set<ConversationId>();
  private readonly loaded: Promise<void>;
  private writes: Promise<void> = Promise.resolve();
  private lastOrder = 0;
  private readonly backoff: Backoff;
  private readonly randomUUID: () => string;
  private readonly now: () => number;
  private closed = false;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: OutboxOptions) {
    this.backoff = options.backoff ?? new Backoff({ baseMs: 1000, capMs: 30_000 });
    this.randomUUID = options.randomUUID ?? (() => crypto.randomUUID());
    this.now = options.now ?? Date.now;
    this.loaded = this.load();
  }

  /** Resolves once the store's entries have been read. */
  whenLoaded(): Promise<void> {
    return this.loaded;
  }

  /** Queues a text message and returns its pending entry. Throws `validation_failed` for text the server would refuse. */
  enqueue(
    conversationId: ConversationId,
    text: string,
    options: { clientMsgId?: string; attachments?: string[]; uploads?: Array<{ key: string; name: string }>; replyTo?: number | string } = {},
  ): OutboxEntry {
    const { clientMsgId, attachments = [], uploads = [], replyTo } = options;
    if (!this.user) throw new ParleyError('unauthenticated', 'log in before sending');
    if (clientMsgId !== undefined) {
      if (clientMsgId.length === 0 || clientMsgId.length > 64) throw new ParleyError('validation_failed', 'clientMsgId must be 1 to 64 characters');
      // Queued already (the app repeated itself, e.g. after a restart): the same entry, sent once.
      const queued = this.entries.get(clientMsgId);
      if (queued) return queued;
    }
    if (text.length === 0 || text.length > MAX_TEXT_LENGTH) {
      throw new ParleyError('validation_failed', `text must be 1 to ${MAX_TEXT_LENGTH} characters`);
    }
    const now = this.now();
    const entry: OutboxEntry = {
      client_msg_id: clientMsgId ?? this.randomUUID(),
      conversation_id: conversationId,
      user_id: this.user,
      text,
      ...(attachments.length > 0 ? { attachments: [...attachments] } : {}),
      ...(uploads.length > 0 ? { uploads: uploads.map((u) => ({ key: u.key, name: u.name })) } : {}),
      ...(replyTo !== undefined ? { reply_to: replyTo } : {}),
      sent_at: new Date(now).toISOString(),
      order: (this.lastOrder = Math.max(now, this.lastOrder + 1)),
      status: 'pending',
    };
    const bytes = new TextEncoder().encode(JSON.stringify({ ...toFrame(entry), id: 'x'.repeat(24) })).length;
    if (bytes > MAX_FRAME_BYTES) throw new ParleyError('payload_too_large', 'message is larger than a frame may be');
    this.entries.set(entry.client_msg_id, entry);
    this.write(() => this.options.store.put(entry));
    this.events.emit('outbox', { kind: 'queued', entry });
    this.kick(conversationId);
    return entry;
  }

  /** This user's entries, oldest first; of one conversation when given. */
  list(conversationId?: ConversationId): OutboxEntry[] {
    return [...this.entries.values()]
      .filter((e) => e.user_id === this.user && (conversationId === undefined || e.conversation_id === conversationId))
      .sort((a, b) => a.order - b.order);
  }

  /** Puts a failed entry back in the queue, with its same `client_msg_id`. */
  retry(clientMsgId: string): boolean {
    const entry = this.entries.get(clientMsgId);
    if (!entry || entry.status !== 'failed') return false;
    const again: OutboxEntry = { ...entry, status: 'pending' };
    delete again.error;
    this.entries.set(clientMsgId, again);
    this.write(() => this.options.store.put(again));
    this.events.emit('outbox', { kind: 'queued', entry: again });
    this.kick(again.conversation_id);
    return true;
  }

  /**
   * One of the files an entry waits for has every byte on the server: it
   * gets its attachment id, and once every file has one the entry is sent.
   */
  uploaded(clientMsgId: string, key: string, attachmentId: string): void {
    const entry = this.entries.get(clientMsgId);
    if (!entry?.uploads?.some((u) => u.key === key)) return;
    const uploads = entry.uploads.map((u) => (u.key === key ? { ...u, id: attachmentId } : u));
    const next: OutboxEntry = { ...entry, uploads };
    if (uploads.every((u) => u.id)) {
      next.attachments = [...(entry.attachments ?? []), ...uploads.map((u) => u.id!)];
      delete next.uploads;
    }
    this.entries.set(clientMsgId, next);
    this.write(() => this.options.store.put(next));
    this.kick(entry.conversation_id);
  }

  /** A file an entry waits for could not be uploaded: the entry fails with its error (a retry uploads it again). */
  uploadFailed(clientMsgId: string, error: ParleyError): void {
    const entry = this.entries.get(clientMsgId);
    if (entry?.status === 'pending') this.fail(entry, error);
  }

  /** Drops an entry for good. One already on the wire may still be delivered. */
  discard(clientMsgId: string): boolean {
    const entry = this.entries.get(clientMsgId);
    if (!entry) return false;
    this.entries.delete(clientMsgId);
    this.write(() => this.options.store.delete(clientMsgId));
    this.events.emit('outbox', { kind: 'discarded', entry });
    return true;
  }

  /** Starts sending the pending entries (of one conversation, or all). Call when the socket becomes ready. */
  kick(conversationId?: ConversationId): void {
    // Entries still being read from the store count too: wait for them before choosing what to send.
    void this.loaded.then(() => {
      if (this.closed || this.options.transport.state !== 'connected') return;
      const ids = conversationId ? [conversationId] : new Set(this.list().map((e) => e.conversation_id));
      for (const id of ids) this.pump(id).catch((err: unknown) => this.events.emit('error', asParleyError(err)));
    });
  }

  /** Stops sending; pending entries stay in the store. Resolves when queued writes have finished. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.sleepers) wake();
    await this.writes;
  }

  /** A wait before a retry that `close` cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private async load(): Promise<void> {
    try {
      for (const entry of await this.options.store.load()) {
        if (!this.entries.has(entry.client_msg_id)) this.entries.set(entry.client_msg_id, entry);
        this.lastOrder = Math.max(this.lastOrder, entry.order);
      }
    } catch (err) {
      this.events.emit('error', new ParleyError('internal', 'outbox store could not be read', { cause: err }));
    }
  }

  /**
   * The next entry to send. One still waiting for its files is passed over,
   * not waited for: a text written while a video uploads goes first, and the
   * video's message takes its place in the conversation when its upload ends.
   */
  private head(conversationId: ConversationId): OutboxEntry | undefined {
    return this.list(conversationId).find((e) => e.status === 'pending' && !e.uploads);
  }

  private async pump(conversationId: ConversationId): Promise<void> {
    if (this.busy.has(conversationId)) return;
    this.busy.add(conversationId);
    try {
      await this.loaded;
      for (;;) {
        if (this.closed || this.options.transport.state !== 'connected') return;
        const entry = this.head(conversationId);
        if (!entry) return;
        // The entry reaches the store before the wire: an ack can then never race its own put.
        await this.writes;
        let reply: ServerFrame;
        try {
          reply = await this.options.transport.request(toFrame(entry));
          if (reply.type !== 'ack') throw new ParleyError('bad_response', `expected ack, got ${reply.type}`);
        } catch (err) {
          const error = asParleyError(err);
          if (this.entries.get(entry.client_msg_id) !== entry) continue;
          // Not connected any more: the next ready resends it, with the same id.
          if (error.code === 'disconnected') return;
          if (error.retryable || error.code === 'bad_response') {
            const delayMs = error.retryAfter !== undefined ? error.retryAfter * 1000 : this.backoff.next();
            await this.sleep(delayMs);
            continue;
          }
          this.fail(entry, error);
          continue;
        }
        this.backoff.reset();
        if (this.entries.get(entry.client_msg_id) === entry) {
          this.entries.delete(entry.client_msg_id);
          this.write(() => this.options.store.delete(entry.client_msg_id));
          this.events.emit('outbox', { kind: 'sent', entry, ack: reply });
        }
      }
    } finally {
      this.busy.delete(conversationId);
    }
  }

  private fail(entry: OutboxEntry, error: ParleyError): void {
    const failed: OutboxEntry = { ...entry, status: 'failed', error: { code: error.code, message: error.message } };
    this.entries.set(entry.client_msg_id, failed);
    this.write(() => this.options.store.put(failed));
    this.events.emit('outbox', { kind: 'failed', entry: failed, error });
  }

  /** Store writes run one after another, in the order they were asked for. */
  private write(op: () => Promise<void>): void {
    this.writes = this.writes.then(op).catch((err: unknown) => {
      this.events.emit('error', new ParleyError('internal', 'outbox store write failed', { cause: err }));
    });
  }
}

function toFrame(entry: OutboxEntry): SendMessageFrame {
  return {
    type: 'send_message',
    conversation_id: entry.conversation_id,
    message: {
      type: 'text',
      text: entry.text,
      ...(entry.attachments?.length ? { attachments: entry.attachments.map((id) => ({ id })) } : {}),
      client_msg_id: entry.client_msg_id,
      sent_at: entry.sent_at,
      ...(entry.reply_to !== undefined ? { reply_to: entry.reply_to } : {}),
    },
  };
}
