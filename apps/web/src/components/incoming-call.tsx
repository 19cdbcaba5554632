import { useEffect, useRef } from 'react';
import { useCall, useCallChanges } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { conversationTitle, memberHandle, memberName } from '../lib/names.ts';

/** A call ringing this device: who calls (and in which group), Accept or Decline. */
export function IncomingCall() {
  const { client, me } = useSignedIn();
  const { incoming, accept, decline } = useCall();
  const acceptRef = useRef<HTMLButtonElement>(null);
  useCallChanges(incoming);

  useEffect(() => {
    if (incoming) acceptRef.current?.focus();
  }, [incoming]);

  if (!incoming) return null;
  const conversation = client.conversation(incoming.conversationId);
  const caller = memberName(conversation, me.id, incoming.caller);
  const handle = memberHandle(conversation, incoming.caller);
  const kind = incoming.video ? 'Video call' : 'Voice call';
  const group = conversation?.type === 'group' ? conversationTitle(conversation, me.id) : null;
  return (
    <div className="incoming-call" role="dialog" aria-label="Incoming call" aria-describedby="incoming-call-text">
      <p id="incoming-call-text" className="incoming-call__text">
        <strong className="incoming-call__caller">{caller}</strong>
        {handle && <span className="incoming-call__handle">{handle}</span>}
        <span className="incoming-call__kind">
          {kind}
          {group && (
            <>
              {' in '}
              <span className="incoming-call__group">{group}</span>
            </>
          )}
        </span>
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
