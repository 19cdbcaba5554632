import type { ConversationId, Seq } from '@parley/protocol';
import { ParleyError } from './errors.ts';
import type { CursorStore } from './cursor-stores/cursor-store.ts';

/** Where a client starts each conversation: its saved cursors, the newest entry, or the seqs given. */
export type StartFrom = 'saved' | 'latest' | Record<ConversationId, Seq>;

/**
 * Loads the saved cursors once, and saves each conversation's cursor after
 * its entry was handed to the app. Saves are coalesced: while one write runs,
 * later cursors of a conversation replace each other and go in the next one,
 * so a burst of entries costs a few writes, not one each.
 */
export class CursorKeeper {
  private readonly pending = new Map<ConversationId, Seq | null>();
  private flushing: Promise<void> | null = null;
  /** The cursors to start from, once loaded. */
  readonly starts: Promise<Record<ConversationId, Seq>>;

  constructor(
    private readonly store: CursorStore,
    startFrom: StartFrom,
    private readonly onError: (err: ParleyError) => void,
  ) {
    this.starts = this.loadStarts(startFrom);
  }

  /** Records that the app has been handed every entry of `conversationId` up to `seq`. */
  handed(conversationId: ConversationId, seq: Seq): void {
    this.pending.set(conversationId, seq);
    this.flushing ??= this.flush();
  }

  /** The conversation is gone (left, removed): its cursor goes too. */
  forget(conversationId: ConversationId): void {
    this.pending.set(conversationId, null);
    this.flushing ??= this.flush();
  }

  /** Resolves when every cursor handed so far is written. */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async loadStarts(startFrom: StartFrom): Promise<Record<ConversationId, Seq>> {
    if (typeof startFrom === 'object') return { ...startFrom };
    if (startFrom === 'latest') return {};
    try {
      return await this.store.load();
    } catch (err) {
      this.onError(new ParleyError('internal', 'cursor store could not be read: starting from the newest entries', { cause: err }));
      return {};
    }
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const batch = [...this.pending];
        this.pending.clear();
        for (const [id, seq] of batch) {
          try {
            if (seq === null) await this.store.delete(id);
            else await this.store.save(id, seq);
          } catch (err) {
            this.onError(new ParleyError('internal', 'cursor store write failed', { cause: err }));
          }
        }
      }
    } finally {
      this.flushing = null;
    }
  }
}
