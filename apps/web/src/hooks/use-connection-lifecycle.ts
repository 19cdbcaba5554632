import type { UserId } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { useEffect } from 'react';

/**
 * Keeps the socket up while someone is signed in, and follows the browser's
 * network state: when the browser says it is offline the socket is closed at
 * once (a dead socket could otherwise look open until the heartbeat gives up)
 * and sends wait in the outbox; when it is back, the client reconnects at once
 * rather than at the end of its backoff, and resumes from its cursors.
 */
export function useConnectionLifecycle(client: ParleyClient, userId: UserId | null): void {
  useEffect(() => {
    if (!userId) return;
    if (navigator.onLine) client.connect();
    const offline = (): void => client.disconnect();
    const online = (): void => {
      client.disconnect();
      client.connect();
    };
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
      client.disconnect();
    };
  }, [client, userId]);
}
