import type { ConversationId } from '@parley/protocol';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useConversation } from '../hooks/use-conversations.ts';
import { loadReplyDraft, saveReplyDraft } from '../lib/drafts.ts';
import { Composer } from './composer.tsx';
import { ConversationHeader } from './conversation-header.tsx';
import { Icon } from './icon.tsx';
import { MembersDialog } from './members-dialog.tsx';
import { MessageList } from './message-list.tsx';
import { PinsDialog } from './pins-dialog.tsx';
import { ThreadPanel } from './thread-panel.tsx';
import { useThreadRoute } from '../hooks/use-thread-route.ts';
import type { JumpTarget } from '../hooks/use-jump-to-message.ts';
import type { ReplyDraft } from '../hooks/use-message-context.ts';
import { TypingIndicator } from './typing-indicator.tsx';

export interface ConversationViewProps {
  conversationId: ConversationId;
  onBack: () => void;
  /** This person left the conversation (from its Members dialog). */
  onLeft: (title: string) => void;
  /** A message to bring into view (a search result). */
  jump?: JumpTarget | null;
}

/** The open conversation: header, history, who is typing, and the composer. */
export function ConversationView({ conversationId, onBack, onLeft, jump }: ConversationViewProps) {
  const { client, me } = useSignedIn();
  const conversation = useConversation(client, conversationId);
  const [membersOpen, setMembersOpen] = useState(false);
  const [pinsOpen, setPinsOpen] = useState(false);
  // A jump asked for from inside the conversation (its pins); the newer of it and the screen's wins.
  const [localJump, setLocalJump] = useState<JumpTarget | null>(null);
  const target = !localJump ? jump : !jump || localJump.nonce > jump.nonce ? localJump : jump;
  const [missing, setMissing] = useState(false);
  // The message the composer is replying to: part of the conversation's draft, so it survives a reload.
  const [reply, setReplyState] = useState<ReplyDraft | null>(() => loadReplyDraft(me.id, conversationId));
  const setReply = useCallback(
    (next: ReplyDraft | null): void => {
      setReplyState(next);
      saveReplyDraft(me.id, conversationId, next);
    },
    [me.id, conversationId],
  );
  // The thread open beside the conversation (`?thread=<seq>`).
  const { threadSeq, openThread, closeThread } = useThreadRoute();
  const titleId = useId();
  const known = conversation !== undefined;
  // The title it had while this person was in it: once removed, the client no longer knows it.
  const lastTitle = useRef<string | null>(null);
  if (conversation) lastTitle.current = conversation.type === 'group' ? (conversation.title ?? 'this group') : null;

  // Opened from a link or a reload before the list arrived: ask for the list once.
  useEffect(() => {
    if (known) return;
    let live = true;
    client
      .refreshConversations()
      .then(() => live && !client.conversation(conversationId) && setMissing(true))
      .catch(() => live && setMissing(true));
    return () => {
      live = false;
    };
  }, [client, conversationId, known]);

  // A big group's view holds a preview of its members: load them all while it is open,
  // so senders have names and ticks cover everyone (again after membership changes).
  const partial = conversation !== undefined && conversation.members.length < conversation.member_count;
  useEffect(() => {
    if (partial) client.loadMembers(conversationId).catch(() => {});
  }, [client, conversationId, partial]);

  if (!conversation) {
    return (
      <section className="conversation-view conversation-view--placeholder" aria-label="Conversation">
        {lastTitle.current !== null ? (
          <>
            <p>You are no longer a member of {lastTitle.current}. Someone still in it can add you back.</p>
            <button type="button" className="button" onClick={onBack}>
              <Icon name="back" /> Back to conversations
            </button>
          </>
        ) : missing ? (
          <>
            <p>This conversation is not available. You may have left it, or been removed.</p>
            <button type="button" className="button" onClick={onBack}>
              <Icon name="back" /> Back to conversations
            </button>
          </>
        ) : (
          <p role="status">Loading conversation…</p>
        )}
      </section>
    );
  }

  return (
    <>
    <section className="conversation-view" aria-labelledby={titleId} data-conversation-id={conversation.id}>
      <ConversationHeader conversation={conversation} titleId={titleId} onBack={onBack} onMembers={() => setMembersOpen(true)} onPins={() => setPinsOpen(true)} />
      <MessageList conversation={conversation} jump={target} onReply={setReply} onOpenThread={openThread} />
      <TypingIndicator conversation={conversation} />
      <Composer conversationId={conversation.id} reply={reply} onCancelReply={() => setReply(null)} />
      {pinsOpen && <PinsDialog conversation={conversation} onClose={() => setPinsOpen(false)} onShow={(seq) => setLocalJump({ seq, nonce: Date.now() })} />}
      {membersOpen && (
        <MembersDialog
          conversation={conversation}
          onClose={() => setMembersOpen(false)}
          onLeft={() => {
            setMembersOpen(false);
            onLeft(conversation.title ?? 'the group');
          }}
        />
      )}
    </section>
    {threadSeq !== null && <ThreadPanel key={threadSeq} conversation={conversation} rootSeq={threadSeq} onClose={closeThread} />}
    </>
  );
}
