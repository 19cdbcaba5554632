import type { UserView } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { createContext, useContext } from 'react';

export interface ParleyContextValue {
  client: ParleyClient;
  /** The signed-in user, or null on the login screen. */
  user: UserView | null;
}

export const ParleyContext = createContext<ParleyContextValue | null>(null);

export function useParley(): ParleyContextValue {
  const value = useContext(ParleyContext);
  if (!value) throw new Error('useParley outside <ClientProvider>');
  return value;
}

/** The client and the signed-in user, for screens that exist only while signed in. */
export function useSignedIn(): { client: ParleyClient; me: UserView } {
  const { client, user } = useParley();
  if (!user) throw new Error('useSignedIn while signed out');
  return { client, me: user };
}
