import type { ConversationSnapshot } from '@parley/sdk';
import { useEffect, useState } from 'react';
import { useCall } from '../hooks/use-call.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { usePresence } from '../hooks/use-presence.ts';
import { formatLastSeen } from '../lib/format.ts';
import { conversationTitle, peerOf } from '../lib/names.ts';
import { Avatar } from './avatar.tsx';
import { Icon } from './icon.tsx';

export interface ConversationHeaderProps {
  conversation: ConversationSnapshot;
  titleId: string;
  onBack: () => void;
  onMembers: () => void;
}

/** Title, presence (direct) or member count (group), and the way back on a phone. */
export function ConversationHeader({ conversation, titleId, onBack, onMembers }: ConversationHeaderProps) {
  const { client, me } = useSignedIn();
  const peer = peerOf(conversation, me.id);
  const presence = usePresence(client, peer?.id ?? null);
  const title = conversationTitle(conversation, me.id);
  const group = conversation.type === 'group';
  const online = presence?.status === 'online';
  const call = useCall();
  const canCall = !group && peer !== null && call.active === null;
  // "last seen 3 min ago" ages: redraw it every minute.
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 60_000);
    return () => clearInterval(timer);
  }, []);

  let subtitle = '';
  if (group) subtitle = `${conversation.members.length} ${conversation.members.length === 1 ? 'member' : 'members'}`;
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
        </h2>
        {subtitle && (
          <p className={`conversation-header__subtitle${online ? ' is-online' : ''}`} data-testid="conversation-subtitle">
            {subtitle}
          </p>
        )}
      </div>
      {!group && peer && (
        <>
          <button
            type="button"
            className="icon-button"
            onClick={() => call.start(conversation.id, peer.id, false)}
            disabled={!canCall}
            aria-label="Voice call"
            title="Voice call"
          >
            <Icon name="phone" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => call.start(conversation.id, peer.id, true)}
            disabled={!canCall}
            aria-label="Video call"
            title="Video call"
          >
            <Icon name="video" />
          </button>
        </>
      )}
      {group && (
        <button type="button" className="icon-button" onClick={onMembers} aria-label="Members" title="Members">
          <Icon name="members" />
        </button>
      )}
    </header>
  );
}
