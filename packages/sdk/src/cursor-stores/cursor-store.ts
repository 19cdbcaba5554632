import type { ConversationId, Seq } from '@parley/protocol';

/**
 * Where a client keeps, per conversation, the seq up to which the app has
 * been handed every entry, so that a restarted client resumes from there and
 * receives what it missed — in order, and each entry once.
 *
 * **The rule.** The client saves a conversation's cursor only after every
 * listener of the `entry` event has returned for that seq (entries are handed
 * over in seq order, one at a time). A client that stops cleanly (`close()`)
 * has saved everything it handed over; one that is killed between a hand-over
 * and its save hands that entry over again after the restart. Saves are
 * coalesced (the latest seq of a conversation wins), so a kill can repeat at
 * most the entries handed over since the last finished write. Reply with
 * `send(id, text, { clientMsgId })` derived from the entry's `message_id` and
 * a repeat stores nothing new: the server keeps each `client_msg_id` once.
 *
 * Implementations: {@link MemoryCursorStore}, `FileCursorStore` (Node, from
 * `@parley/sdk/node`) and {@link IndexedDbCursorStore} (browsers), all held
 * to one contract suite (`cursor-store-contract.ts`). One store per account.
 */
export interface CursorStore {
  /** Every saved cursor. */
  load(): Promise<Record<ConversationId, Seq>>;
  /** Sets the cursor of a conversation (replacing the previous one). */
  save(conversationId: ConversationId, seq: Seq): Promise<void>;
  /** Forgets a conversation (the user left it); forgetting one that is not there is not an error. */
  delete(conversationId: ConversationId): Promise<void>;
}
