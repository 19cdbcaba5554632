import type { ConversationId, UserId } from '@parley/protocol';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { CallContext, type CallContextValue, type MeshCall } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';

/**
 * The calls of this device, for the whole signed-in screen: one call at a
 * time (direct, or a group mesh), one ringing call at a time (a second one
 * from elsewhere while one rings is declined). Legs that join the call this
 * device is in (a group's mesh growing) are taken by the SDK without ringing.
 */
export function CallProvider({ children }: { children: ReactNode }) {
  const { client } = useSignedIn();
  const [active, setActive] = useState<MeshCall | null>(null);
  const [incoming, setIncoming] = useState<MeshCall | null>(null);
  const [error, setError] = useState<string | null>(null);
  // What the event handlers below see now, without waiting for a render.
  const current = useRef<{ active: MeshCall | null; incoming: MeshCall | null; starting: boolean }>({ active: null, incoming: null, starting: false });
  current.current.active = active;
  current.current.incoming = incoming;
  const supported = typeof RTCPeerConnection !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.mediaDevices;

  /** Whatever way a call ends (here, on the other side, timed out, answered elsewhere), it leaves the screen. */
  const forget = useCallback((call: MeshCall) => {
    call.once('ended', () => {
      setActive((shown) => (shown === call ? null : shown));
      setIncoming((shown) => (shown === call ? null : shown));
    });
  }, []);

  useEffect(() => {
    if (!supported) return;
    return client.calls.on('ringing', (call) => {
      const ringing = current.current.incoming;
      if (ringing && ringing.state !== 'ended') {
        call.decline();
        return;
      }
      current.current.incoming = call;
      forget(call);
      setIncoming(call);
    });
  }, [client, supported, forget]);

  // Leaving the screen (logout) hangs up.
  useEffect(() => () => active?.hangup(), [active]);

  const start = useCallback(
    (conversationId: ConversationId, peers: UserId[], video: boolean, groupCallId?: string) => {
      if (!supported || current.current.active || current.current.starting) return;
      current.current.starting = true;
      setError(null);
      client.calls
        .startMesh(conversationId, peers, { video, groupCallId })
        .then(
          (call) => {
            if (call.state === 'ended') return;
            forget(call);
            setActive(call);
          },
          (err: unknown) => setError(describeError(err)),
        )
        .finally(() => {
          current.current.starting = false;
        });
    },
    [client, supported, forget],
  );

  const accept = useCallback(() => {
    const call = incoming;
    if (!call) return;
    active?.hangup();
    setIncoming(null);
    setActive(call);
    setError(null);
    call.accept().catch((err: unknown) => setError(describeError(err)));
  }, [incoming, active]);

  const decline = useCallback(() => {
    incoming?.decline();
    setIncoming(null);
  }, [incoming]);

  const value = useMemo<CallContextValue>(() => ({ active, incoming, start, accept, decline, error }), [active, incoming, start, accept, decline, error]);
  return <CallContext.Provider value={value}>{children}</CallContext.Provider>;
}
