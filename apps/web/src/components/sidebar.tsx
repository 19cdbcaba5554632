import type { ConversationId } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useSignedIn } from '../hooks/use-client.ts';
import { clearDrafts } from '../lib/drafts.ts';
import { nameOf } from '../lib/names.ts';
import { Avatar } from './avatar.tsx';
import { ConversationList } from './conversation-list.tsx';
import { Icon } from './icon.tsx';

export interface SidebarProps {
  conversations: ConversationSnapshot[];
  selectedId: ConversationId | null;
  loading: boolean;
  onSelect: (id: ConversationId) => void;
  onNewChat: () => void;
  onNewGroup: () => void;
}

/** Who is signed in, the actions that start conversations, and the list. */
export function Sidebar({ conversations, selectedId, loading, onSelect, onNewChat, onNewGroup }: SidebarProps) {
  const { client, me } = useSignedIn();
  const unread = conversations.reduce((sum, c) => sum + c.unread_count, 0);

  return (
    <aside className="sidebar" aria-label="Conversations">
      <header className="sidebar__header">
        <div className="sidebar__me">
          <Avatar id={me.id} name={nameOf(me)} size="sm" />
          <div className="sidebar__me-text">
            <span className="sidebar__me-name">{nameOf(me)}</span>
            <span className="sidebar__me-handle">@{me.username}</span>
          </div>
        </div>
        <button type="button" className="icon-button" onClick={() => {
            // The next person to sign in on this device starts at the list, not in this one's conversation.
            window.history.replaceState(null, '', '/');
            // What this person wrote and did not send leaves the device with them.
            clearDrafts(me.id);
            void client.logout();
          }} aria-label="Log out" title="Log out">
          <Icon name="logout" />
        </button>
      </header>
      <div className="sidebar__actions">
        <h2 className="sidebar__title">
          Chats
          {unread > 0 && <span className="sr-only"> ({unread} unread)</span>}
        </h2>
        <button type="button" className="icon-button" onClick={onNewGroup} aria-label="New group" title="New group">
          <Icon name="group" />
        </button>
        <button type="button" className="icon-button icon-button--accent" onClick={onNewChat} aria-label="New chat" title="New chat">
          <Icon name="compose" />
        </button>
      </div>
      <ConversationList conversations={conversations} selectedId={selectedId} loading={loading} onSelect={onSelect} />
    </aside>
  );
}
