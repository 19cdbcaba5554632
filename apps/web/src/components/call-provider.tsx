import type { ConversationId, UserId } from '@parley/protocol';
import type { CallSession } from '@parley/sdk';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { CallContext, type CallContextValue } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';

/**
 * The calls of this device, for the whole signed-in screen: one call at a
 * time, one ringing call at a time (a second invite while busy is declined).
 */
export function CallProvider({ children }: { children: ReactNode }) {
  const { client } = useSignedIn();
  const [active, setActive] = useState<CallSession | null>(null);
  const [incoming, setIncoming] = useState<CallSession | null>(null);
  const [error, setError] = useState<string | null>(null);
  // What the event handlers below see now, without waiting for a render.
  const busy = useRef<{ active: CallSession | null; incoming: CallSession | null }>({ active: null, incoming: null });
  busy.current = { active, incoming };
  const supported = typeof RTCPeerConnection !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.mediaDevices;

  // Whatever call ends (here, on the other side, timed out, answered elsewhere) leaves the screen.
  useEffect(() => {
    if (!supported) return;
    const calls = client.calls;
    const offIncoming = calls.on('incoming', (call) => {
      const ringing = busy.current.incoming;
      if (ringing && ringing.state !== 'ended') {
        call.reject();
        return;
      }
      busy.current.incoming = call;
      setIncoming(call);
    });
    const offEnded = calls.on('ended', (call) => {
      setActive((current) => (current === call ? null : current));
      setIncoming((current) => (current === call ? null : current));
    });
    return () => {
      offIncoming();
      offEnded();
    };
  }, [client, supported]);

  // Leaving the screen (logout) hangs up.
  useEffect(() => () => active?.hangup(), [active]);

  const start = useCallback(
    (conversationId: ConversationId, invitee: UserId, video: boolean) => {
      if (!supported || active) return;
      setError(null);
      client.calls.start(conversationId, { invitee, video }).then(
        (call) => {
          if (call.state === 'ended') return;
          setActive(call);
        },
        (err: unknown) => setError(describeError(err)),
      );
    },
    [client, supported, active],
  );

  const accept = useCallback(() => {
    const call = incoming;
    if (!call) return;
    active?.hangup();
    setIncoming(null);
    setActive(call);
    call.accept({ video: call.video }).catch((err: unknown) => {
      setError(describeError(err));
      call.hangup();
    });
  }, [incoming, active]);

  const decline = useCallback(() => {
    incoming?.reject();
    setIncoming(null);
  }, [incoming]);

  const value = useMemo<CallContextValue>(() => ({ active, incoming, start, accept, decline, error }), [active, incoming, start, accept, decline, error]);
  return <CallContext.Provider value={value}>{children}</CallContext.Provider>;
}
