import type { Logger } from 'pino';
import type { ConversationId } from '@parley/protocol';

export type MessageId = string;

/**
 * Hides or restores one message for every member of its conversation. The
 * durable form is an entry of the conversation's log (with a seq, so online
 * members get it pushed and offline ones on sync, and the web client shows
 * "removed by moderation"); that log-entry mechanism arrives with the
 * gateway's edits and deletes, and is wired here at merge. Both calls must be
 * idempotent: a redelivered event or a repeated action calls them again.
 */
export interface MessageModerator {
  hide(conversationId: ConversationId, messageId: MessageId, reason: string): Promise<void>;
  restore(conversationId: ConversationId, messageId: MessageId): Promise<void>;
}

/**
 * INTERIM, replaced at merge by the durable log-entry moderator (see above).
 * Until then a hide is recorded only in the review queue (`moderation_items.hidden`)
 * and in the `moderation.message_hidden` event; members still see the
 * message. It logs each call (ids and the reason kind, never text) so the gap is visible.
 */
export class UnwiredLogEntryModerator implements MessageModerator {
  constructor(private readonly log: Logger) {}

  async hide(conversationId: ConversationId, messageId: MessageId, reason: string): Promise<void> {
    this.log.warn({ conversation_id: conversationId, message_id: messageId, reason }, 'moderation hide recorded; the conversation-log hide entry is not wired yet');
  }

  async restore(conversationId: ConversationId, messageId: MessageId): Promise<void> {
    this.log.warn({ conversation_id: conversationId, message_id: messageId }, 'moderation restore recorded; the conversation-log restore entry is not wired yet');
  }
}
