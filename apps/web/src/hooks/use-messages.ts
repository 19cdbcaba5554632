import type { ConversationId, MessageView } from '@parley/protocol';
import type { OutboxEntry, ParleyClient } from '@parley/sdk';
import { useClientState } from './use-client-state.ts';

export interface ConversationMessages {
  /** What the server has stored, by seq. */
  entries: MessageView[];
  /** This user's messages still in the outbox (pending or failed), oldest first, not yet among `entries`. */
  pending: OutboxEntry[];
}

const MESSAGE_EVENTS = ['message', 'outbox', 'session'] as const;

export function useMessages(client: ParleyClient, id: ConversationId): ConversationMessages {
  return useClientState(client, MESSAGE_EVENTS, () => read(client, id), [id]);
}

function read(client: ParleyClient, id: ConversationId): ConversationMessages {
  // The log's array changes in place: copy it so React sees a new value.
  const entries = [...client.messages(id)];
  // The server's copy of a message can arrive (pushed to this user's devices) just before its ack
  // takes it out of the outbox: show it once.
  const stored = new Set<string>();
  for (const e of entries) if (e.message.type === 'text') stored.add(e.message.client_msg_id);
  const pending = client.pending(id).filter((p) => !stored.has(p.client_msg_id));
  return { entries, pending };
}
