import { useCall, useCallChanges } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { conversationTitle, memberHandle, memberName } from '../lib/names.ts';

/**
 * A call ringing this device: who calls (and in which group), Accept or
 * Decline. It never takes focus: someone typing would answer it with Enter
 * and lose the rest of the sentence. Screen readers hear it through a live
 * region that is always in the page (one mounted with its text is often not
 * read), and the keyboard reaches it first in the Tab order.
 */
export function IncomingCall() {
  const { client, me } = useSignedIn();
  const { incoming, accept, decline } = useCall();
  useCallChanges(incoming);

  const conversation = incoming ? client.conversation(incoming.conversationId) : undefined;
  const caller = incoming ? memberName(conversation, me.id, incoming.caller) : '';
  const handle = incoming ? memberHandle(conversation, incoming.caller) : null;
  const kind = incoming?.video ? 'Video call' : 'Voice call';
  const group = conversation?.type === 'group' ? conversationTitle(conversation, me.id) : null;
  return (
    <>
      <p className="sr-only" role="status" data-testid="incoming-call-announcement">
        {incoming ? `${kind} from ${caller}${group ? ` in ${group}` : ''}` : ''}
      </p>
      {incoming && (
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
            <button type="button" className="button button--primary" onClick={accept} onKeyDown={(e) => e.key === 'Escape' && decline()}>
              Accept
            </button>
          </div>
        </div>
      )}
    </>
  );
}
