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

/** The server's rule: both members of a direct conversation pin; in a group its admins, or everyone when its pin policy says so. */
export function canPin(entry: MessageView, me: UserId, conversation: ConversationSnapshot): boolean {
  if (!isLiveText(entry)) return false;
  if (conversation.type !== 'group' || conversation.settings.pin_policy === 'members') return true;
  return conversation.members.some((m) => m.id === me && m.role === 'admin');
}

/** The message mentions this user by name, or everyone. */
export function mentionsMe(entry: MessageView, me: UserId): boolean {
  return entry.sender_id !== me && !!entry.mentions && (entry.mentions.everyone || entry.mentions.user_ids.includes(me));
}

/** The address that opens a conversation at one of its messages (read back by hooks/use-route.ts). */
export function messageLink(origin: string, conversationId: string, seq: number): string {
  return `${origin}/c/${conversationId}?m=${seq}`;
}
