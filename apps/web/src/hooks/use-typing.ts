import type { ConversationId, UserId } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { useClientState } from './use-client-state.ts';

const TYPING_EVENTS = ['typing', 'session'] as const;

/** Who is typing in a conversation now; each one expires by itself if their device goes quiet. */
export function useTyping(client: ParleyClient, id: ConversationId): UserId[] {
  return useClientState(client, TYPING_EVENTS, () => client.typingUsers(id), [id]);
}
