import type { ConversationId } from '@parley/protocol';
import type { ConversationSnapshot, ParleyClient } from '@parley/sdk';
import { useClientState } from './use-client-state.ts';

const LIST_EVENTS = ['conversation', 'conversation_removed', 'message', 'unread', 'receipt', 'session'] as const;

/** Every known conversation, most recently active first, kept current. */
export function useConversations(client: ParleyClient): ConversationSnapshot[] {
  return useClientState(client, LIST_EVENTS, () => client.conversations(), []);
}

/** One conversation, kept current; undefined while it is not (or no longer) known. */
export function useConversation(client: ParleyClient, id: ConversationId): ConversationSnapshot | undefined {
  return useClientState(client, LIST_EVENTS, () => client.conversation(id), [id]);
}
