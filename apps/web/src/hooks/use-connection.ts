import type { ConnectionState, ParleyClient } from '@parley/sdk';
import { useEffect, useState } from 'react';

export interface ConnectionInfo {
  state: ConnectionState;
  /** The socket has been ready at least once with this client: a drop now means "reconnecting". */
  wasConnected: boolean;
  /** When the next attempt is due (ms since the epoch), while one is scheduled. */
  retryAt: number | null;
}

export function useConnection(client: ParleyClient): ConnectionInfo {
  const [info, setInfo] = useState<ConnectionInfo>(() => ({ state: client.state, wasConnected: client.state === 'connected', retryAt: null }));
  useEffect(() => {
    setInfo({ state: client.state, wasConnected: client.state === 'connected', retryAt: null });
    const offs = [
      client.on('state', (state) =>
        setInfo((prev) => ({
          state,
          wasConnected: prev.wasConnected || state === 'connected',
          retryAt: state === 'connecting' ? prev.retryAt : null,
        })),
      ),
      client.on('reconnect_scheduled', ({ delayMs }) => setInfo((prev) => ({ ...prev, retryAt: Date.now() + delayMs }))),
      client.on('ready', () => setInfo((prev) => ({ ...prev, retryAt: null }))),
    ];
    return () => offs.forEach((off) => off());
  }, [client]);
  return info;
}
