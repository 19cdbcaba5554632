import type { MessageView, UserId, UserView } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useCallback, useEffect, useMemo } from 'react';
import { useClientState } from './use-client-state.ts';
import { useSignedIn } from './use-client.ts';

const USER_EVENTS = ['users'] as const;

/** The people log entries name: senders, and whoever a system entry is about. */
export function peopleIn(entries: readonly (MessageView | null)[]): UserId[] {
  const ids = new Set<UserId>();
  for (const entry of entries) {
    if (!entry) continue;
    ids.add(entry.sender_id);
    if (entry.message.type === 'system') {
      ids.add(entry.message.actor_id);
      for (const id of entry.message.user_ids ?? []) ids.add(id);
    }
  }
  return [...ids];
}

/**
 * A lookup of the people `ids` names who are not members of `conversation`
 * (they left, were removed, or are beyond a big group's member preview):
 * found in the client's other conversations, else fetched once. Re-renders
 * when they arrive.
 */
export function useFormerMembers(conversation: ConversationSnapshot | undefined, ids: readonly UserId[]): (id: UserId) => UserView | undefined {
  const { client, me } = useSignedIn();
  // A new object after each `users` event, and so a new function, so that what uses it draws again.
  const loaded = useClientState(client, USER_EVENTS, () => ({}), []);
  const lookup = useCallback((id: UserId) => client.userById(id), [client, loaded]);
  // `lookup` is a dependency only so that this is asked again after users arrive.
  const missing = useMemo(
    () => ids.filter((id) => id !== me.id && !conversation?.members.some((m) => m.id === id) && !client.userById(id)),
    [ids, conversation, me.id, client, lookup],
  );
  useEffect(() => {
    if (missing.length > 0) void client.loadUsers(missing);
  }, [client, missing]);
  return lookup;
}
