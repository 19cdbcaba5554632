import type { Mentions, MemberView, UserId } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { nameOf } from './names.ts';

/** The name `@everyone` mentions: every member of a group. */
export const EVERYONE = 'everyone';
/** The most people the autocomplete offers at once: past it, more letters narrow the list. */
const MAX_CANDIDATES = 8;
// As the server reads a mention (server/src/messaging/mentions.ts): an `@` starting a word, then username characters.
const NOT_BEFORE_MENTION = /[\w.@-]/;
const NAME_SO_FAR = /^[A-Za-z0-9_.-]{0,32}$/;

/** A `@name` being typed: where its `@` is, and the letters after it up to the caret. */
export interface MentionQuery {
  start: number;
  query: string;
}

/** Someone the autocomplete offers: a member, or `@everyone` (whose `id` is null). */
export interface MentionCandidate {
  id: UserId | null;
  username: string;
  name: string;
}

/** The `@name` the caret is at the end of, or null when it is not in one. */
export function mentionQueryAt(text: string, caret: number): MentionQuery | null {
  const start = text.lastIndexOf('@', caret - 1);
  if (start === -1 || caret - start > 33) return null;
  if (start > 0 && NOT_BEFORE_MENTION.test(text[start - 1]!)) return null;
  const query = text.slice(start + 1, caret);
  return NAME_SO_FAR.test(query) ? { start, query } : null;
}

/**
 * Whom typing `@query` may mean in `conversation`: its other members whose
 * username, display name or a word of it starts with the query (any case),
 * and `@everyone` in a group, unless only its admins may say it and `me` is
 * not one (the server would refuse the message).
 */
export function mentionCandidates(conversation: ConversationSnapshot, me: UserId, query: string): MentionCandidate[] {
  const q = query.toLowerCase();
  const starts = (value: string): boolean => value.toLowerCase().startsWith(q);
  const matches = (m: MemberView): boolean => starts(m.username) || nameOf(m).split(/\s+/).some(starts) || starts(nameOf(m));
  const out: MentionCandidate[] = conversation.members
    .filter((m) => m.id !== me && matches(m))
    .sort((a, b) => Number(starts(b.username)) - Number(starts(a.username)) || nameOf(a).localeCompare(nameOf(b)))
    .slice(0, MAX_CANDIDATES)
    .map((m) => ({ id: m.id, username: m.username, name: nameOf(m) }));
  const admin = conversation.members.some((m) => m.id === me && m.role === 'admin');
  if (conversation.type === 'group' && starts(EVERYONE) && (conversation.settings.everyone_policy === 'members' || admin)) {
    out.push({ id: null, username: EVERYONE, name: 'Everyone in this group' });
  }
  return out;
}

/**
 * The names a message's `mentions` resolve to (usernames, and `everyone`),
 * for highlighting: undefined when it mentions nobody. `usernameOf` finds a
 * mentioned person who has since left among the people the client knows.
 */
export function mentionedNames(mentions: Mentions | undefined, usernameOf: (id: UserId) => string | undefined): ReadonlySet<string> | undefined {
  if (!mentions) return undefined;
  const names = new Set<string>();
  if (mentions.everyone) names.add(EVERYONE);
  for (const id of mentions.user_ids) {
    const username = usernameOf(id);
    if (username) names.add(username);
  }
  return names.size > 0 ? names : undefined;
}
