import type { ConversationId } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { clearDrafts } from '../lib/drafts.ts';
import { nameOf } from '../lib/names.ts';
import { Avatar } from './avatar.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { ConversationList } from './conversation-list.tsx';
import { Icon } from './icon.tsx';
import { SettingsDialog } from './settings-dialog.tsx';
import { AdminButton } from './admin/admin-page.tsx';

export interface SidebarProps {
  conversations: ConversationSnapshot[];
  selectedId: ConversationId | null;
  loading: boolean;
  onSelect: (id: ConversationId) => void;
  onNewChat: () => void;
  onNewGroup: () => void;
  /** Opens message search. */
  onSearch?: () => void;
}

/**
 * The actions that start conversations, the list, and who is signed in. Log
 * out sits at the bottom, after the list, so the keyboard does not start on
 * it, and asks first, so a stray click does not end the session.
 */
export function Sidebar({ conversations, selectedId, loading, onSelect, onNewChat, onNewGroup, onSearch }: SidebarProps) {
  const { client, me } = useSignedIn();
  const unread = conversations.reduce((sum, c) => sum + c.unread_count, 0);
  const [confirming, setConfirming] = useState(false);
  const [settings, setSettings] = useState(false);

  const logout = (): void => {
    setConfirming(false);
    // The next person to sign in on this device starts at the list, not in this one's conversation.
    window.history.replaceState(null, '', '/');
    // What this person wrote and did not send leaves the device with them.
    clearDrafts(me.id);
    void client.logout();
  };

  return (
    <aside className="sidebar" aria-label="Conversations">
      <div className="sidebar__actions">
        <h2 className="sidebar__title">
          Chats
          {unread > 0 && <span className="sr-only"> ({unread} unread)</span>}
        </h2>
        {onSearch && (
          <button type="button" className="icon-button" onClick={onSearch} aria-label="Search messages" title="Search messages">
            <Icon name="search" />
          </button>
        )}
        <button type="button" className="icon-button" onClick={onNewGroup} aria-label="New group" title="New group">
          <Icon name="group" />
        </button>
        <button type="button" className="icon-button icon-button--accent" onClick={onNewChat} aria-label="New chat" title="New chat">
          <Icon name="compose" />
        </button>
      </div>
      <ConversationList conversations={conversations} selectedId={selectedId} loading={loading} onSelect={onSelect} />
      <footer className="sidebar__footer">
        <div className="sidebar__me">
          <Avatar id={me.id} name={nameOf(me)} size="sm" />
          <div className="sidebar__me-text">
            <span className="sidebar__me-name">{nameOf(me)}</span>
            <span className="sidebar__me-handle">@{me.username}</span>
          </div>
        </div>
        <AdminButton />
        <button type="button" className="icon-button" onClick={() => setSettings(true)} aria-label="Settings" title="Settings">
          <Icon name="settings" />
        </button>
        <button type="button" className="icon-button" onClick={() => setConfirming(true)} aria-label="Log out" title="Log out">
          <Icon name="logout" />
        </button>
      </footer>
      {settings && <SettingsDialog onClose={() => setSettings(false)} />}
      {confirming && (
        <ConfirmDialog title="Log out?" confirmLabel="Log out" onConfirm={logout} onCancel={() => setConfirming(false)}>
          <p>You will need your password to sign in again on this device. Drafts you have not sent are removed.</p>
        </ConfirmDialog>
      )}
    </aside>
  );
}
