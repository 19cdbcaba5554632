import type { ConversationId } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { memo, useMemo } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useDraft } from '../hooks/use-draft.ts';
import { peopleIn, useFormerMembers } from '../hooks/use-names.ts';
import { usePresence } from '../hooks/use-presence.ts';
import { formatListTime } from '../lib/format.ts';
import { conversationTitle, peerOf, previewOf } from '../lib/names.ts';
import { usePrefs } from '../lib/preferences.ts';
import { Avatar } from './avatar.tsx';
import { Icon } from './icon.tsx';

export interface ConversationListItemProps {
  conversation: ConversationSnapshot;
  selected: boolean;
  onSelect: (id: ConversationId) => void;
}

/** One row: avatar with presence, title, time and preview of the last message (or of a draft), unread badge. */
export const ConversationListItem = memo(function ConversationListItem({ conversation, selected, onSelect }: ConversationListItemProps) {
  const { client, me } = useSignedIn();
  const peer = peerOf(conversation, me.id);
  const presence = usePresence(client, peer?.id ?? null);
  const title = conversationTitle(conversation, me.id);
  const last = conversation.last_message;
  const unread = conversation.unread_count;
  const lookup = useFormerMembers(conversation, useMemo(() => peopleIn([last]), [last]));
  const online = presence ? presence.status === 'online' : undefined;
  // The open conversation shows its draft in the composer already.
  const draft = useDraft(me.id, conversation.id);
  const showDraft = !selected && draft.trim() !== '';
  const muted = usePrefs(me.id).muted.includes(conversation.id);

  return (
    <button
      type="button"
      className={`conversation${selected ? ' conversation--selected' : ''}${unread > 0 ? ' conversation--unread' : ''}`}
      aria-current={selected ? 'page' : undefined}
      data-conversation-id={conversation.id}
      onClick={() => onSelect(conversation.id)}
    >
      <Avatar id={peer?.id ?? conversation.id} name={title} online={online} group={conversation.type === 'group'} />
      <span className="conversation__body">
        <span className="conversation__top">
          <span className="conversation__title">{title}</span>
          {online && <span className="sr-only">, online</span>}
          {last && (
            <time className="conversation__time" dateTime={last.created_at}>
              {formatListTime(last.created_at)}
            </time>
          )}
        </span>
        <span className="conversation__bottom">
          <span className="conversation__preview">
            {showDraft ? (
              <>
                <span className="conversation__draft">Draft:</span> {draft.replace(/\s+/g, ' ').trim()}
              </>
            ) : (
              previewOf(last, conversation, me.id, lookup)
            )}
          </span>
          {muted && (
            <span className="conversation__muted" title="Muted" data-testid="muted">
              <Icon name="bell-off" size={14} />
              <span className="sr-only">, muted</span>
            </span>
          )}
          {conversation.mention_count > 0 && (
            <span className="badge badge--mention" data-testid="mention-badge">
              @<span className="sr-only"> {conversation.mention_count === 1 ? 'mentions you' : `${conversation.mention_count} mentions of you`}</span>
            </span>
          )}
          {unread > 0 && (
            <span className={`badge${muted ? ' badge--muted' : ''}`} data-testid="unread-badge">
              {unread > 99 ? '99+' : unread}
              <span className="sr-only"> unread {unread === 1 ? 'message' : 'messages'}</span>
            </span>
          )}
        </span>
      </span>
    </button>
  );
});
