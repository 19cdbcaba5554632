import type { ConversationId } from '@parley/protocol';
import { useEffect, useMemo, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useConversations } from '../hooks/use-conversations.ts';
import { useFaviconBadge, useNotifications } from '../hooks/use-notifications.ts';
import { usePresenceSubscription } from '../hooks/use-presence.ts';
import { useRoute } from '../hooks/use-route.ts';
import { peerOf } from '../lib/names.ts';
import { usePrefs } from '../lib/preferences.ts';
import { CallProvider } from './call-provider.tsx';
import { CallView } from './call-view.tsx';
import { ConnectionBanner } from './connection-banner.tsx';
import { ConversationView } from './conversation-view.tsx';
import { EmptyState } from './empty-state.tsx';
import { IncomingCall } from './incoming-call.tsx';
import { NewChatDialog } from './new-chat-dialog.tsx';
import { NewGroupDialog } from './new-group-dialog.tsx';
import { MessageSearchDialog } from './message-search.tsx';
import type { JumpTarget } from '../hooks/use-jump-to-message.ts';
import { Sidebar } from './sidebar.tsx';

type OpenDialog = 'chat' | 'group' | 'search' | null;

/**
 * The signed-in screen: the conversation list beside the open conversation.
 * Below 720 px only one of the two shows at a time (see styles.css), and the
 * URL says which, so the phone's Back button returns to the list.
 */
export function ChatScreen() {
  const { client, me } = useSignedIn();
  const conversations = useConversations(client);
  const { conversationId, messageSeq, open } = useRoute();
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const [listLoaded, setListLoaded] = useState(false);
  // What just happened that the screen no longer shows ("You left Book club."), until another conversation opens.
  const [notice, setNotice] = useState<string | null>(null);
  // The message a search result leads to, in its conversation.
  const [jump, setJump] = useState<(JumpTarget & { conversationId: ConversationId }) | null>(null);

  useEffect(() => {
    if (conversationId) setNotice(null);
  }, [conversationId]);

  // Opened from a message's link (Copy link): show that message, as a search result would.
  useEffect(() => {
    if (!conversationId || messageSeq === null) return;
    setJump({ conversationId, seq: messageSeq, nonce: Date.now() });
    window.history.replaceState(null, '', `/c/${conversationId}`);
  }, [conversationId, messageSeq]);

  // The conversation that had focus is gone: the list is the sensible place for the keyboard.
  useEffect(() => {
    if (!notice) return;
    const target =
      document.querySelector<HTMLElement>('.sidebar button.conversation') ??
      document.querySelector<HTMLElement>('.sidebar button[aria-label="New chat"]');
    target?.focus();
  }, [notice]);

  // The socket's resume refreshes the list too; asking now shows it sooner, and says when it is in.
  useEffect(() => {
    let live = true;
    const done = (): void => {
      if (live) setListLoaded(true);
    };
    client.refreshConversations().then(done, done);
    return () => {
      live = false;
    };
  }, [client]);

  // Presence dots for the people of direct conversations.
  const peers = useMemo(
    () => conversations.map((c) => peerOf(c, me.id)?.id).filter((id): id is string => id !== undefined),
    [conversations, me.id],
  );
  usePresenceSubscription(client, peers);

  // The tab's title and icon count what is unread (muted conversations aside), for a tab in the background.
  const { muted } = usePrefs(me.id);
  const unread = conversations.reduce((sum, c) => sum + (muted.includes(c.id) ? 0 : c.unread_count), 0);
  useFaviconBadge(unread);
  useNotifications(client, me.id, open);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Parley` : 'Parley';
    return () => {
      document.title = 'Parley';
    };
  }, [unread]);

  const left = (title: string): void => {
    open(null);
    setNotice(`You left ${title}.`);
  };

  const jumpTo = (id: ConversationId, seq: number): void => {
    setDialog(null);
    setJump({ conversationId: id, seq, nonce: Date.now() });
    open(id);
  };

  const opened = (id: ConversationId): void => {
    setDialog(null);
    open(id);
  };

  return (
    <CallProvider>
      <div className={`chat${conversationId ? ' chat--open' : ''}`}>
        <h1 className="sr-only">Parley</h1>
        <ConnectionBanner />
        <CallView />
        <IncomingCall />
        <div className="chat__body">
          <Sidebar
            conversations={conversations}
            selectedId={conversationId}
            loading={!listLoaded}
            onSelect={open}
            onNewChat={() => setDialog('chat')}
            onNewGroup={() => setDialog('group')}
            onSearch={() => setDialog('search')}
          />
          <main className="chat__main" aria-label="Conversation">
            {conversationId ? (
              <ConversationView
                key={conversationId}
                conversationId={conversationId}
                onBack={() => open(null)}
                onLeft={left}
                jump={jump?.conversationId === conversationId ? jump : null}
              />
            ) : (
              <EmptyState onNewChat={() => setDialog('chat')} hasConversations={conversations.length > 0} />
            )}
          </main>
        </div>
        <div className="notice" role="status">
          {notice}
        </div>
        {dialog === 'chat' && <NewChatDialog onClose={() => setDialog(null)} onOpened={opened} />}
        {dialog === 'group' && <NewGroupDialog onClose={() => setDialog(null)} onOpened={opened} />}
        {dialog === 'search' && <MessageSearchDialog onClose={() => setDialog(null)} onJump={jumpTo} />}
      </div>
    </CallProvider>
  );
}
