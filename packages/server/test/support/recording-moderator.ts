import type { MessageModerator } from '../../src/moderation/message-moderator.ts';

/**
 * TEST STAND-IN, named as such: records hide / restore calls instead of
 * writing the conversation-log entry. The durable hide (a log entry with a
 * seq, pushed and replayed by sync) comes with the gateway branch's log-entry
 * mechanism and is wired at merge; these tests prove that moderation calls it
 * at the right moments with the right ids.
 */
export class RecordingMessageModerator implements MessageModerator {
  readonly calls: Array<{ op: 'hide' | 'restore'; conversationId: string; messageId: string; reason?: string }> = [];
  async hide(conversationId: string, messageId: string, reason: string): Promise<void> {
    this.calls.push({ op: 'hide', conversationId, messageId, reason });
  }
  async restore(conversationId: string, messageId: string): Promise<void> {
    this.calls.push({ op: 'restore', conversationId, messageId });
  }
  hidden(messageId: string): boolean {
    return this.calls.some((c) => c.op === 'hide' && c.messageId === messageId);
  }
  restored(messageId: string): boolean {
    return this.calls.some((c) => c.op === 'restore' && c.messageId === messageId);
  }
}
