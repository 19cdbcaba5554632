import type { Seq } from '@parley/protocol';
import { useCallback, useSyncExternalStore } from 'react';
import { seqParam, subscribeToLocation } from './use-route.ts';

// `/c/<id>?thread=<seq>`: the conversation with that message's thread open. Kept in the URL so a
// reload or a shared link reopens it, and so a phone's Back button closes the full-screen panel.
const PARAM = 'thread';

function currentThread(): Seq | null {
  return seqParam(PARAM);
}

/** A link to a conversation with a thread open. */
export function threadPath(pathname: string, rootSeq: Seq): string {
  return `${pathname}?${PARAM}=${rootSeq}`;
}

function navigate(change: () => void): void {
  change();
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/**
 * The thread open beside the conversation (`?thread=<seq>`), and how to
 * open and close it. Opening pushes a history entry (Back closes the panel);
 * opening another thread over an open one replaces it, so Back never walks
 * through every thread looked at.
 */
export function useThreadRoute(): { threadSeq: Seq | null; openThread: (rootSeq: Seq) => void; closeThread: () => void } {
  const threadSeq = useSyncExternalStore(subscribeToLocation, currentThread, () => null);
  const openThread = useCallback((rootSeq: Seq) => {
    if (currentThread() === rootSeq) return;
    const path = threadPath(window.location.pathname, rootSeq);
    const pushed = (window.history.state as { pushed?: boolean } | null)?.pushed ?? false;
    navigate(() => (currentThread() !== null ? window.history.replaceState({ pushed }, '', path) : window.history.pushState({ pushed: true }, '', path)));
  }, []);
  const closeThread = useCallback(() => {
    if (currentThread() === null) return;
    // Opened here: going back leaves the history as it was (popstate follows by itself).
    if ((window.history.state as { pushed?: boolean } | null)?.pushed) window.history.back();
    else navigate(() => window.history.replaceState(null, '', window.location.pathname));
  }, []);
  return { threadSeq, openThread, closeThread };
}
