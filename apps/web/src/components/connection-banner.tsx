import { useEffect, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useConnection } from '../hooks/use-connection.ts';
import { useOnline } from '../hooks/use-online.ts';

/** Connecting for less than this is not worth a banner (a normal start, a server restart). */
const QUIET_MS = 1500;

/**
 * Says when messages cannot flow: the browser is offline, or the socket is
 * down and the client is reconnecting. Messages written meanwhile wait in the
 * outbox and go out in order when the socket is back.
 */
export function ConnectionBanner() {
  const { client } = useSignedIn();
  const online = useOnline();
  const { state, wasConnected, retryAt } = useConnection(client);
  const down = state !== 'connected';
  const [patienceOver, setPatienceOver] = useState(false);

  useEffect(() => {
    setPatienceOver(false);
    if (!down) return;
    const timer = setTimeout(() => setPatienceOver(true), QUIET_MS);
    return () => clearTimeout(timer);
  }, [down]);

  const retry = (): void => {
    client.disconnect();
    client.connect();
  };

  let message: string | null = null;
  let action = false;
  if (!online) message = 'You are offline. Messages will be sent when you are back online.';
  else if (down && (patienceOver || (wasConnected && state === 'disconnected'))) {
    message = wasConnected ? 'Connection lost. Reconnecting…' : 'Connecting…';
    action = retryAt !== null || state === 'disconnected';
  }

  return (
    <div className="banner-slot" role="status" aria-live="polite" data-connection={state}>
      {message && (
        <div className={`banner${online ? ' banner--reconnecting' : ' banner--offline'}`} data-testid="connection-banner">
          <span className="banner__spinner" aria-hidden="true" />
          <span>{message}</span>
          {action && (
            <button type="button" className="banner__action" onClick={retry}>
              Retry now
            </button>
          )}
        </div>
      )}
    </div>
  );
}
