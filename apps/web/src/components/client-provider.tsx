import type { UserView } from '@parley/protocol';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { createClient } from '../lib/create-client.ts';
import { loadSession, parseSession, saveSession, SESSION_KEY } from '../lib/session-storage.ts';
import { ParleyContext } from '../hooks/use-client.ts';
import { useConnectionLifecycle } from '../hooks/use-connection-lifecycle.ts';

/**
 * Owns the page's `ParleyClient` and the session in localStorage.
 *
 * Tabs of one browser share the stored session, and refresh tokens rotate (a
 * spent one presented again ends the session). So when another tab stores new
 * tokens, this tab starts a fresh client on them rather than renew its own
 * copy later; when another tab logs out, this one follows.
 */
export function ClientProvider({ children }: { children: ReactNode }) {
  const [client, setClient] = useState(() => createClient(loadSession()));
  const [user, setUser] = useState<UserView | null>(() => client.user);

  useEffect(() => {
    setUser(client.user);
    return client.on('session', (data) => {
      saveSession(data);
      // Renewals change the tokens, not the person: keep the same object so nothing re-renders.
      // A new display name is a new person object.
      setUser((prev) => (data && prev?.id === data.user.id && prev.display_name === data.user.display_name ? prev : (data?.user ?? null)));
    });
  }, [client]);

  useEffect(() => {
    const onStorage = (event: StorageEvent): void => {
      if (event.key !== SESSION_KEY && event.key !== null) return;
      const next = parseSession(event.newValue);
      if (next?.refresh_token === client.sessionData?.refresh_token) return;
      void client.close();
      setClient(createClient(next));
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [client]);

  useConnectionLifecycle(client, user?.id ?? null);

  const value = useMemo(() => ({ client, user }), [client, user]);
  return <ParleyContext.Provider value={value}>{children}</ParleyContext.Provider>;
}
