import type { Mentions, UserId } from '@parley/protocol';

/** The name `@everyone` mentions: every member of a group. */
export const EVERYONE = 'everyone';

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
