import type { ConversationId, Seq } from '@parley/protocol';
import type { CursorStore } from './cursor-store.ts';

/**
 * Cursors kept in memory: a reconnect resumes from them, a restart does not.
 * What the client uses when no store is given.
 */
export class MemoryCursorStore implements CursorStore {
  private readonly cursors = new Map<ConversationId, Seq>();

  async load(): Promise<Record<ConversationId, Seq>> {
    return Object.fromEntries(this.cursors);
  }

  async save(conversationId: ConversationId, seq: Seq): Promise<void> {
    this.cursors.set(conversationId, seq);
  }

  async delete(conversationId: ConversationId): Promise<void> {
    this.cursors.delete(conversationId);
  }
}
