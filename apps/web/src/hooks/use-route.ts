import type { ConversationId } from '@parley/protocol';
import { useCallback, useSyncExternalStore } from 'react';

// The only routes: `/` (the list) and `/c/<conversation id>`. The server answers both with the app.
const CONVERSATION_PATH = /^\/c\/([0-9a-fA-F-]{36})\/?$/;

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  return () => window.removeEventListener('popstate', onChange);
}

function currentConversation(): ConversationId | null {
  return CONVERSATION_PATH.exec(window.location.pathname)?.[1] ?? null;
}

/** The open conversation, kept in the URL so reloads, links and the Back button work. */
export function useRoute(): { conversationId: ConversationId | null; open: (id: ConversationId | null) => void } {
  const conversationId = useSyncExternalStore(subscribe, currentConversation, () => null);
  const open = useCallback((id: ConversationId | null) => {
    const path = id ? `/c/${id}` : '/';
    if (window.location.pathname === path) return;
    window.history.pushState(null, '', path);
    window.dispatchEvent(new PopStateEvent('popstate'));
  }, []);
  return { conversationId, open };
}
