import { useEffect, useRef } from 'react';
import { useCall } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { memberName } from '../lib/names.ts';

/** A call ringing this device: who calls, Accept or Decline. */
export function IncomingCall() {
  const { client, me } = useSignedIn();
  const { incoming, accept, decline } = useCall();
  const acceptRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (incoming) acceptRef.current?.focus();
  }, [incoming]);

  if (!incoming) return null;
  const caller = memberName(client.conversation(incoming.conversationId), me.id, incoming.peer);
  const kind = incoming.video ? 'Video call' : 'Voice call';
  return (
    <div className="incoming-call" role="dialog" aria-label="Incoming call" aria-describedby="incoming-call-text">
      <p id="incoming-call-text" className="incoming-call__text">
        <strong className="incoming-call__caller">{caller}</strong>
        <span className="incoming-call__kind">{kind}</span>
      </p>
      <div className="incoming-call__actions">
        <button type="button" className="button button--danger" onClick={decline} onKeyDown={(e) => e.key === 'Escape' && decline()}>
          Decline
        </button>
        <button type="button" className="button button--primary" ref={acceptRef} onClick={accept} onKeyDown={(e) => e.key === 'Escape' && decline()}>
          Accept
        </button>
      </div>
    </div>
  );
}
