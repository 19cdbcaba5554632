import type { ConversationId, UserId } from '@parley/protocol';

/** A message waiting in the outbox until the server acknowledges it. */
export interface OutboxEntry {
  /** Chosen once, kept across every retry and restart: the server stores a `client_msg_id` only once. */
  client_msg_id: string;
  conversation_id: ConversationId;
  /** The sender. A store shared by several accounts on one device only sends an entry as its own user. */
  user_id: UserId;
  text: string;
  /** Ids of uploads (`client.upload`) the message references, once their bytes are all stored. */
  attachments?: string[];
  /**
   * Files still uploading that the message waits for (their bytes kept in
   * the client's UploadStore under `key`). Each gets its attachment id when
   * the server has every byte; once all have, they join `attachments` (in
   * this order) and this field goes: only then is the message sent.
   */
  uploads?: Array<{ key: string; name: string; id?: string }>;
  /** The message this one replies to (its seq or message id). */
  reply_to?: number | string;
  /** When the app called `send` (ISO 8601); travels as the message's `sent_at`. */
  sent_at: string;
  /** Position in the outbox: the entries of one conversation are sent in this order. */
  order: number;
  /** `failed`: the server refused it for good; the app may retry or discard it. */
  status: 'pending' | 'failed';
  error?: { code: string; message: string };
}

/**
 * Where the outbox keeps unacknowledged messages so that a crash or a reload
 * loses none. Implementations: {@link MemoryOutboxStore} (tests, or when
 * losing the outbox on reload is acceptable), `FileOutboxStore` (Node, from `@parley/sdk/node`)
 * and {@link IndexedDbOutboxStore} (browsers). All three pass one contract
 * suite (`outbox-store-contract.ts`).
 *
 * A write has finished when its promise resolves; the outbox calls one
 * method at a time per entry, in order.
 */
export interface OutboxStore {
  /** Every stored entry, in any order. */
  load(): Promise<OutboxEntry[]>;
  /** Inserts or replaces the entry with this `client_msg_id`. */
  put(entry: OutboxEntry): Promise<void>;
  /** Removes an entry; removing one that is not there is not an error. */
  delete(clientMsgId: string): Promise<void>;
}

export function copyEntry(entry: OutboxEntry): OutboxEntry {
  return {
    ...entry,
    ...(entry.error ? { error: { ...entry.error } } : {}),
    ...(entry.attachments ? { attachments: [...entry.attachments] } : {}),
    ...(entry.uploads ? { uploads: entry.uploads.map((u) => ({ ...u })) } : {}),
  };
}
