import type { ConversationId, MessageId, UserId } from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import type { MessageChanges } from '../messaging/message-changes.ts';
import type { AfterCommit } from '../consumers/event-consumer.ts';

export type { AfterCommit };

/**
 * Hides or restores one message for every member of its conversation, in the
 * caller's transaction. The durable form is a `hidden` / `restored` change
 * entry of the conversation's log (its own seq: online members get it pushed,
 * offline ones on sync); hide and restore return what to run after the commit,
 * or null when the message already is in that state (a redelivered event or a
 * repeated action writes nothing).
 */
export interface MessageModerator {
  hide(tx: Sql, conversationId: ConversationId, messageId: MessageId, actor: UserId | null, reason: string): Promise<AfterCommit | null>;
  restore(tx: Sql, conversationId: ConversationId, messageId: MessageId, actor: UserId): Promise<AfterCommit | null>;
  /** An operator's decision keeps the message removed: its files leave storage, as a delete's do. */
  discardFiles(messageId: MessageId): Promise<void>;
}

/** The moderator on the conversation log (`MessageChanges.moderate`) and the attachments' removal. */
export class LogEntryModerator implements MessageModerator {
  constructor(
    private readonly changes: MessageChanges,
    /** Removes a message's files (absent where no operator decides: the consumers process only hides). */
    private readonly removeFiles: ((messageId: MessageId) => Promise<unknown>) | null,
  ) {}

  hide(tx: Sql, conversationId: ConversationId, messageId: MessageId, actor: UserId | null, reason: string): Promise<AfterCommit | null> {
    return this.changes.moderate(tx, conversationId, messageId, actor, { kind: 'hidden', reason });
  }

  restore(tx: Sql, conversationId: ConversationId, messageId: MessageId, actor: UserId): Promise<AfterCommit | null> {
    return this.changes.moderate(tx, conversationId, messageId, actor, { kind: 'restored' });
  }

  async discardFiles(messageId: MessageId): Promise<void> {
    await this.removeFiles?.(messageId);
  }
}
