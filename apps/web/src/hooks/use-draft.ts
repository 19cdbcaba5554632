import type { ConversationId, UserId } from '@parley/protocol';
import { useCallback, useSyncExternalStore } from 'react';
import { loadDraft, subscribeDrafts } from '../lib/drafts.ts';

/** The stored draft of one conversation ('' when there is none), kept current. */
export function useDraft(userId: UserId, conversationId: ConversationId): string {
  const get = useCallback(() => loadDraft(userId, conversationId), [userId, conversationId]);
  return useSyncExternalStore(subscribeDrafts, get);
}
