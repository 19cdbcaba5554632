import type { ChangeContent, MemberView, MessageView, SystemContent, UserId, UserView } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { formatCallDuration } from './format.ts';

export function nameOf(user: Pick<UserView, 'display_name' | 'username'>): string {
  return user.display_name || user.username;
}

/** The other person of a direct conversation (or null for a group, or one whose view lacks them). */
export function peerOf(conversation: ConversationSnapshot, me: UserId): MemberView | null {
  if (conversation.type !== 'direct') return null;
  return conversation.members.find((m) => m.id !== me) ?? null;
}

/** What a conversation is called: its title, the other person, or the members' names. */
export function conversationTitle(conversation: ConversationSnapshot, me: UserId): string {
  if (conversation.title) return conversation.title;
  const others = conversation.members.filter((m) => m.id !== me);
  if (conversation.type === 'direct') return others[0] ? nameOf(others[0]) : 'Just you';
  // Members may be a preview of a big group: the count says how many others there are.
  const otherCount = Math.max(conversation.member_count - 1, others.length);
  if (otherCount === 0) return 'Empty group';
  const names = others.slice(0, 3).map(nameOf);
  return otherCount > names.length ? `${names.join(', ')} and ${otherCount - names.length} more` : names.join(', ');
}

/** Finds people who are not (or no longer) members, such as `ParleyClient.userById`. */
export type UserLookup = (id: UserId) => UserView | undefined;

function findUser(conversation: ConversationSnapshot | undefined, id: UserId, lookup?: UserLookup): UserView | undefined {
  return conversation?.members.find((m) => m.id === id) ?? lookup?.(id);
}

/** `@username` of a member (or former member, through `lookup`), where identity matters (display names may repeat or look alike); null when not known. */
export function memberHandle(conversation: ConversationSnapshot | undefined, id: UserId, lookup?: UserLookup): string | null {
  const user = findUser(conversation, id, lookup);
  return user ? `@${user.username}` : null;
}

/** True when the user is a bot account (or an integration's): the UI marks them. */
export function isBotMember(conversation: ConversationSnapshot | undefined, id: UserId, lookup?: UserLookup): boolean {
  return findUser(conversation, id, lookup)?.kind === 'bot';
}

/** Names of users by id, from the conversation's members (then `lookup`, for those who left), with "You" for the signed-in user. */
export function memberName(conversation: ConversationSnapshot | undefined, me: UserId, id: UserId, lookup?: UserLookup): string {
  if (id === me) return 'You';
  const user = findUser(conversation, id, lookup);
  return user ? nameOf(user) : 'Someone';
}

/**
 * One line about a system entry of the log (membership changes, calls).
 * `name` gives "You" for the reader, which starts a sentence; later in one
 * the reader is "you" ("Alice added you").
 */
export function systemText(content: SystemContent, name: (id: UserId) => string, me: UserId): string {
  const actor = name(content.actor_id);
  const others = (content.user_ids ?? []).map((id) => (id === me ? 'you' : name(id)));
  const list = others.length <= 1 ? (others[0] ?? 'someone') : `${others.slice(0, -1).join(', ')} and ${others.at(-1)}`;
  switch (content.event) {
    case 'conversation_created':
      return `${actor} started the conversation`;
    case 'members_added':
      return `${actor} added ${list}`;
    case 'member_removed':
      return `${actor} removed ${list}`;
    case 'member_left':
      return `${actor} left`;
    case 'call_started':
      return 'Call started';
    case 'call_answered':
      return 'Call answered';
    case 'call_ended':
      if (content.reason === 'invite_timeout') return 'Missed call';
      if (content.reason === 'user_rejected') return 'Call declined';
      return `Call ended · ${formatCallDuration(content.duration_ms ?? 0)}`;
    case 'group_updated': {
      const parts: string[] = [];
      if (content.title !== undefined) parts.push(content.title === null ? 'removed the group name' : `renamed the group “${content.title}”`);
      if (content.description !== undefined) parts.push(content.description === null ? 'removed the description' : 'changed the description');
      if (content.pin_policy) parts.push(content.pin_policy === 'members' ? 'let all members pin messages' : 'let only admins pin messages');
      if (content.everyone_policy) parts.push(content.everyone_policy === 'members' ? 'let all members mention @everyone' : 'let only admins mention @everyone');
      return `${actor} ${parts.join(' and ') || 'changed the group'}`;
    }
    case 'role_changed':
      if (content.user_ids?.[0] === content.actor_id && content.role === 'member') return `${actor} stepped down as admin`;
      return content.role === 'admin' ? `${actor} made ${list} an admin` : `${actor} removed ${list} as admin`;
    default:
      return 'Conversation updated';
  }
}

const CHANGE_PREVIEW: Record<ChangeContent['change'], string> = {
  edited: 'edited a message',
  deleted: 'deleted a message',
  reaction_added: 'reacted to a message',
  reaction_removed: 'reacted to a message',
  hidden: 'a message was removed by moderation',
  restored: 'a message was restored by moderation',
  pinned: 'pinned a message',
  unpinned: 'unpinned a message',
};

/** The last message as a one-line preview in the conversation list. */
export function previewOf(entry: MessageView | null, conversation: ConversationSnapshot, me: UserId, lookup?: UserLookup): string {
  if (!entry) return 'No messages yet';
  const content = entry.message;
  if (content.type === 'system') return systemText(content, (id) => memberName(conversation, me, id, lookup), me);
  if (content.type === 'deleted') return 'message deleted';
  if (content.type === 'hidden') return 'removed by moderation';
  if (content.type === 'change') return CHANGE_PREVIEW[content.change];
  const text = content.text.replace(/\s+/g, ' ').trim();
  // A thread reply is not in the conversation's timeline (it stays in its thread): the preview says where it is.
  const inThread = entry.thread_root !== undefined;
  const where = inThread ? ', in a thread' : '';
  if (entry.sender_id === me) return `You${where}: ${text}`;
  if (conversation.type === 'group') return `${memberName(conversation, me, entry.sender_id, lookup)}${where}: ${text}`;
  return inThread ? `In a thread: ${text}` : text;
}
