import type { ConversationId, UserId } from '@parley/protocol';
import type { CallsEvents } from '@parley/sdk';
import { createContext, useContext, useEffect, useState } from 'react';

/**
 * A call as the user sees it (the SDK's MeshCall: one leg per other
 * participant). Named through the SDK's events because its index does not
 * export the class by name.
 */
export type MeshCall = CallsEvents['ringing'];
export type MeshParticipant = ReturnType<MeshCall['participants']>[number];

export interface CallContextValue {
  /** The call this device is in (outgoing, being answered or connected), if any. */
  active: MeshCall | null;
  /** A call ringing this device, waiting for Accept or Decline. */
  incoming: MeshCall | null;
  /**
   * Calls `peers` in a conversation: the other member of a direct chat, or the
   * other members of a small group; with `groupCallId`, joins that call in progress.
   */
  start(conversationId: ConversationId, peers: UserId[], video: boolean, groupCallId?: string): void;
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

/** Re-renders whenever the call changes (participants, media, state); returns how many times it has. */
export function useCallChanges(call: MeshCall | null): number {
  const [version, setVersion] = useState(0);
  useEffect(() => call?.on('change', () => setVersion((v) => v + 1)), [call]);
  return version;
}
