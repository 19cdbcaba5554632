import type { MessageView, UserId } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';

/** A message someone wrote and nobody has deleted: it can be replied to, reacted to, quoted. */
export const isLiveText = (entry: MessageView): boolean => entry.message.type === 'text';

/** The server's rule: only the author edits, and only text (integrations' posts are the webhook's, not a person's). */
export function canEdit(entry: MessageView, me: UserId): boolean {
  return isLiveText(entry) && entry.sender_id === me && !entry.integration;
}

/** The server's rule: the author deletes their own message; a group's admins delete anyone's. */
export function canDelete(entry: MessageView, me: UserId, conversation: ConversationSnapshot): boolean {
  if (!isLiveText(entry)) return false;
  if (entry.sender_id === me) return true;
  return conversation.type === 'group' && conversation.members.some((m) => m.id === me && m.role === 'admin');
}

/** The address that opens a conversation at one of its messages (read back by hooks/use-route.ts). */
export function messageLink(origin: string, conversationId: string, seq: number): string {
  return `${origin}/c/${conversationId}?m=${seq}`;
}
