import type { ConversationId, Mentions, UserId } from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import { AppError } from '../errors.ts';

// `@name` where the `@` starts a word (so an e-mail address mentions nobody);
// names as USERNAME_PATTERN allows them.
const MENTION = /(?<![\w.@-])@([A-Za-z0-9_.-]{3,32})/g;
const EVERYONE = 'everyone';

/** The names a text mentions, each once in order, and whether it says `@everyone`; null when it mentions nothing. */
export function mentionedNames(text: string): { names: string[]; everyone: boolean } | null {
  if (!text.includes('@')) return null;
  const names = new Set<string>();
  let everyone = false;
  for (const match of text.matchAll(MENTION)) {
    const name = match[1]!;
    // A sentence may end just after a name ("thanks @bob."): the name without its trailing dots too.
    const trimmed = name.replace(/[.-]+$/, '');
    if (name === EVERYONE || trimmed === EVERYONE) everyone = true;
    else {
      names.add(name);
      if (trimmed.length >= 3 && trimmed !== name) names.add(trimmed);
    }
  }
  return names.size > 0 || everyone ? { names: [...names], everyone } : null;
}

/**
 * Who `text` mentions in the conversation, as the server stores it: members
 * named by `@username` (others named are plain text), and `@everyone` in a
 * group. Null when it mentions nobody, and for a sender who is not a member
 * (the write refuses them as it refuses any send). `@everyone` from a member
 * in a group whose `everyone_policy` is `admins` is refused
 * (`mention_forbidden`, nothing stored): the sender learns it rather than
 * their message silently reaching fewer people than they meant. Costs one
 * statement, and only for a text holding '@'.
 */
export async function resolveMentions(sql: Sql, sender: UserId, conversationId: ConversationId, text: string): Promise<Mentions | null> {
  const wanted = mentionedNames(text);
  if (!wanted) return null;
  const [row] = await sql.query<{ type: string; everyone_policy: string; role: string; user_ids: Array<{ id: string; username: string }> | null }>(
    `SELECT c.type, c.everyone_policy, me.role,
            (SELECT jsonb_agg(jsonb_build_object('id', u.id, 'username', u.username))
               FROM conversation_members cm JOIN users u ON u.id = cm.user_id
              WHERE cm.conversation_id = c.id AND u.username = ANY($3::text[])) AS user_ids
       FROM conversations c JOIN conversation_members me ON me.conversation_id = c.id AND me.user_id = $2
      WHERE c.id = $1`,
    [conversationId, sender, wanted.names],
  );
  if (!row) return null;
  const everyone = wanted.everyone && row.type === 'group';
  if (everyone && row.everyone_policy === 'admins' && row.role !== 'admin') {
    throw new AppError('mention_forbidden', 'only the admins of this group may mention @everyone');
  }
  const byName = new Map((row.user_ids ?? []).map((u) => [u.username, u.id]));
  const userIds = [...new Set(wanted.names.flatMap((name) => byName.get(name) ?? []))];
  return userIds.length > 0 || everyone ? { user_ids: userIds, everyone } : null;
}
