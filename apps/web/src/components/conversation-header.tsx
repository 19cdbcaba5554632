import { MAX_MESH_PEERS, type ConversationSnapshot } from '@parley/sdk';
import { useEffect, useState } from 'react';
import { useCall } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { usePresence } from '../hooks/use-presence.ts';
import { formatLastSeen } from '../lib/format.ts';
import { conversationTitle, peerOf } from '../lib/names.ts';
import { setMuted, usePrefs } from '../lib/preferences.ts';
import { Avatar } from './avatar.tsx';
import { Icon } from './icon.tsx';

export interface ConversationHeaderProps {
  conversation: ConversationSnapshot;
  titleId: string;
  onBack: () => void;
  onMembers: () => void;
  onPins: () => void;
}

/** A group call is a mesh (every participant sends to every other), so it stops at this many people. */
const MAX_CALL_SIZE = MAX_MESH_PEERS + 1;

/** Title, presence (direct) or member count (group), the call buttons, and the way back on a phone. */
export function ConversationHeader({ conversation, titleId, onBack, onMembers, onPins }: ConversationHeaderProps) {
  const { client, me } = useSignedIn();
  const peer = peerOf(conversation, me.id);
  const presence = usePresence(client, peer?.id ?? null);
  const title = conversationTitle(conversation, me.id);
  const group = conversation.type === 'group';
  const online = presence?.status === 'online';
  const call = useCall();
  const muted = usePrefs(me.id).muted.includes(conversation.id);
  const others = conversation.members.filter((m) => m.id !== me.id).map((m) => m.id);
  const tooBig = group && conversation.member_count > MAX_CALL_SIZE;
  const canCall = others.length > 0 && !tooBig && call.active === null;
  const callHintId = `${titleId}-call-hint`;
  // "last seen 3 min ago" ages: redraw it every minute.
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 60_000);
    return () => clearInterval(timer);
  }, []);

  let subtitle = '';
  if (group) subtitle = `${conversation.member_count} ${conversation.member_count === 1 ? 'member' : 'members'}${tooBig ? ` · calls up to ${MAX_CALL_SIZE}` : ''}`;
  else if (presence) subtitle = online ? 'online' : formatLastSeen(presence.lastSeen);

  return (
    <header className="conversation-header">
      <button type="button" className="icon-button conversation-header__back" onClick={onBack} aria-label="Back to conversations">
        <Icon name="back" />
      </button>
      <Avatar id={peer?.id ?? conversation.id} name={title} online={presence ? online : undefined} group={group} />
      <div className="conversation-header__text">
        <h2 id={titleId} className="conversation-header__title">
          {title}
          {/* Display names can repeat or look alike: the handle says who this really is. */}
          {peer && !conversation.title && (
            <span className="conversation-header__handle" data-testid="conversation-handle">
              {' '}@{peer.username}
            </span>
          )}
        </h2>
        {subtitle && (
          <p className={`conversation-header__subtitle${online ? ' is-online' : ''}`} data-testid="conversation-subtitle">
            {subtitle}
          </p>
        )}
      </div>
      {others.length > 0 && (
        <>
          {tooBig && (
            <span id={callHintId} className="sr-only">
              Group calls take up to {MAX_CALL_SIZE} people, and this group has {conversation.member_count}.
            </span>
          )}
          <button
            type="button"
            className="icon-button"
            onClick={() => call.start(conversation.id, others, false)}
            disabled={!canCall}
            aria-label="Voice call"
            aria-describedby={tooBig ? callHintId : undefined}
            title={tooBig ? `Group calls take up to ${MAX_CALL_SIZE} people` : 'Voice call'}
          >
            <Icon name="phone" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => call.start(conversation.id, others, true)}
            disabled={!canCall}
            aria-label="Video call"
            aria-describedby={tooBig ? callHintId : undefined}
            title={tooBig ? `Group calls take up to ${MAX_CALL_SIZE} people` : 'Video call'}
          >
            <Icon name="video" />
          </button>
        </>
      )}
      <button type="button" className="icon-button" onClick={onPins} aria-label="Pinned messages" title="Pinned messages">
        <Icon name="pin" />
      </button>
      <button
        type="button"
        className="icon-button"
        onClick={() => setMuted(me.id, conversation.id, !muted)}
        aria-pressed={muted}
        aria-label="Mute notifications"
        title={muted ? 'Muted: no notifications or sounds. Click to unmute.' : 'Mute notifications'}
      >
        <Icon name={muted ? 'bell-off' : 'bell'} />
      </button>
      {group && (
        <button type="button" className="icon-button" onClick={onMembers} aria-label="Members" title="Members">
          <Icon name="members" />
        </button>
      )}
    </header>
  );
}
