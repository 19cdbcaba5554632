import type { ConversationId } from '@parley/protocol';
import { useCallback, useSyncExternalStore } from 'react';

// The only routes: `/` (the list) and `/c/<conversation id>`, optionally `?m=<seq>` to open it at a
// message (lib/message-permissions.ts's messageLink). The server answers both with the app.
const CONVERSATION_PATH = /^\/c\/([0-9a-fA-F-]{36})\/?$/;

/** Calls `onChange` whenever the URL changes (Back, Forward, and this app's own navigation). */
export function subscribeToLocation(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  return () => window.removeEventListener('popstate', onChange);
}

function currentConversation(): ConversationId | null {
  return CONVERSATION_PATH.exec(window.location.pathname)?.[1] ?? null;
}

/** A seq in the URL's query (`?m=<seq>`, `?thread=<seq>`), or null. */
export function seqParam(name: string): number | null {
  const value = new URLSearchParams(window.location.search).get(name);
  if (!value || !/^[1-9][0-9]{0,9}$/.test(value)) return null;
  return Number(value);
}

/** The message a link points at (`?m=<seq>`), or null. */
function currentMessage(): number | null {
  return seqParam('m');
}

/**
 * The open conversation, kept in the URL so reloads, links and the Back
 * button work; `messageSeq` is the message a link asked to be shown.
 */
export function useRoute(): { conversationId: ConversationId | null; messageSeq: number | null; open: (id: ConversationId | null) => void } {
  const conversationId = useSyncExternalStore(subscribeToLocation, currentConversation, () => null);
  const messageSeq = useSyncExternalStore(subscribeToLocation, currentMessage, () => null);
  const open = useCallback((id: ConversationId | null) => {
    const path = id ? `/c/${id}` : '/';
    if (window.location.pathname === path && window.location.search === '') return;
    window.history.pushState(null, '', path);
    window.dispatchEvent(new PopStateEvent('popstate'));
  }, []);
  return { conversationId, messageSeq, open };
}
