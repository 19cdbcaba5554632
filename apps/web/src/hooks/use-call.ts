import type { ConversationId, UserId } from '@parley/protocol';
import type { CallSession } from '@parley/sdk';
import { createContext, useContext } from 'react';

export interface CallContextValue {
  /** The call this device is in (outgoing, being answered or connected), if any. */
  active: CallSession | null;
  /** A call ringing this device, waiting for Accept or Decline. */
  incoming: CallSession | null;
  start(conversationId: ConversationId, invitee: UserId, video: boolean): void;
  accept(): void;
  decline(): void;
  /** Why the last call could not start (no camera, no permission…), or null. */
  error: string | null;
}

export const CallContext = createContext<CallContextValue | null>(null);

export function useCall(): CallContextValue {
  const value = useContext(CallContext);
  if (!value) throw new Error('useCall outside <CallProvider>');
  return value;
}
