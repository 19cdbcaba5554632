import type { ConversationId, UserId } from '@parley/protocol';
import { memo } from 'react';
import { useCall } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { callText, type CallSummary } from '../lib/call-history.ts';
import { Icon } from './icon.tsx';

/**
 * One call in the timeline, however many legs it had: voice or video, who
 * joined, declined or missed it, how long. While a group call goes on, the
 * members not in it can join it from here.
 */
export const CallEntry = memo(function CallEntry(props: {
  call: CallSummary;
  conversationId: ConversationId;
  group: boolean;
  name: (id: UserId) => string;
}) {
  const { call, conversationId, group, name } = props;
  const { me } = useSignedIn();
  const calls = useCall();
  const live = call.durationMs === null;
  const missedByMe = !live && call.joined.length === 1 && call.missed.includes(me.id);
  const canJoin = live && group && !call.joined.includes(me.id) && calls.active === null && calls.incoming === null;
  return (
    <li className={`system-line call-entry${missedByMe ? ' call-entry--missed' : ''}`} data-call-state={live ? 'live' : 'ended'}>
      <span className="call-entry__icon" aria-hidden="true">
        <Icon name={call.video ? 'video' : 'phone'} size={14} />
      </span>
      <span className="call-entry__text">{callText(call, name, me.id)}</span>
      {canJoin && (
        <button
          type="button"
          className="button button--small button--primary call-entry__join"
          onClick={() => calls.start(conversationId, call.joined.filter((id) => id !== me.id), call.video, call.id)}
        >
          Join
        </button>
      )}
    </li>
  );
});
