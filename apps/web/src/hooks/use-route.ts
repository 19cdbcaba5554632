import type { ConversationId } from '@parley/protocol';
import { useCallback, useSyncExternalStore } from 'react';

// The only routes: `/` (the list) and `/c/<conversation id>`, optionally `?m=<seq>` to open it at a
// message (lib/message-permissions.ts's messageLink). The server answers both with the app.
const CONVERSATION_PATH = /^\/c\/([0-9a-fA-F-]{36})\/?$/;

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  return () => window.removeEventListener('popstate', onChange);
}

function currentConversation(): ConversationId | null {
  return CONVERSATION_PATH.exec(window.location.pathname)?.[1] ?? null;
}

/** The message a link points at (`?m=<seq>`), or null. */
function currentMessage(): number | null {
  const m = new URLSearchParams(window.location.search).get('m');
  if (!m || !/^[1-9][0-9]{0,9}$/.test(m)) return null;
  return Number(m);
}

/**
 * The open conversation, kept in the URL so reloads, links and the Back
 * button work; `messageSeq` is the message a link asked to be shown.
 */
export function useRoute(): { conversationId: ConversationId | null; messageSeq: number | null; open: (id: ConversationId | null) => void } {
  const conversationId = useSyncExternalStore(subscribe, currentConversation, () => null);
  const messageSeq = useSyncExternalStore(subscribe, currentMessage, () => null);
  const open = useCallback((id: ConversationId | null) => {
    const path = id ? `/c/${id}` : '/';
    if (window.location.pathname === path && window.location.search === '') return;
    window.history.pushState(null, '', path);
    window.dispatchEvent(new PopStateEvent('popstate'));
  }, []);
  return { conversationId, messageSeq, open };
}
