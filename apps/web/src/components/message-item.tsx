import { REPLY_EXCERPT_LENGTH, type MessageView, type ReplyQuote as ReplyQuoteView } from '@parley/protocol';
import type { MessageStatus } from '@parley/sdk';
import { memo, useState, type ReactNode } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useLongPress } from '../hooks/use-long-press.ts';
import { describeCode } from '../lib/errors.ts';
import { formatDateTime, formatTime } from '../lib/format.ts';
import type { Row } from '../lib/rows.ts';
import { MessageText } from './message-text.tsx';
import { AttachmentCard } from './attachment-card.tsx';
import { MessageActions } from './message-actions.tsx';
import { MessageEditor } from './message-editor.tsx';
import { Reactions } from './reactions.tsx';
import { ReplyQuote } from './reply-quote.tsx';
import { ThreadSummary } from './thread-summary.tsx';
import { statusLabel, Ticks } from './ticks.tsx';
import { mentionsMe } from '../lib/message-permissions.ts';
import { mentionedNames } from '../lib/mentions.ts';

type PendingRow = Extract<Row, { kind: 'pending' }>;

/** The quote an unsent reply will carry, from the held log (the server's copy brings the same once stored). */
function pendingQuote(entries: readonly MessageView[], replyTo: number | string | undefined, thread = false): ReplyQuoteView | null {
  if (replyTo === undefined) return null;
  const target = entries.find((e) => (typeof replyTo === 'number' ? e.seq === replyTo : e.message_id === replyTo));
  // A reply into a thread quotes nothing when it answers the root (the thread panel shows it above).
  if (!target || (thread && target.thread_root === undefined)) return null;
  const text = target.message.type === 'text' ? target.message.text.slice(0, REPLY_EXCERPT_LENGTH) : null;
  return { seq: target.seq, message_id: target.message_id, sender_id: target.sender_id, text };
}

function groupClasses(firstOfGroup: boolean, lastOfGroup: boolean): string {
  return `${firstOfGroup ? ' message--first' : ''}${lastOfGroup ? ' message--last' : ''}`;
}

/**
 * A message's time and ticks. A group of messages (one sender, minutes apart)
 * shows its time once, on its last message; every message keeps the whole
 * date and time on hover, and for screen readers.
 */
function Meta({ at, lastOfGroup, edited = false, pinned = false, children }: { at: string; lastOfGroup: boolean; edited?: boolean; pinned?: boolean; children: ReactNode }) {
  return (
    <p className="bubble__meta">
      {pinned && <span className="bubble__pinned">pinned </span>}
      {edited && <span className="bubble__edited">edited </span>}
      <time dateTime={at} title={formatDateTime(at)} className={lastOfGroup ? undefined : 'sr-only'}>
        {formatTime(at)}
      </time>
      {children}
    </p>
  );
}

export interface MessageItemProps {
  entry: MessageView;
  mine: boolean;
  firstOfGroup: boolean;
  lastOfGroup: boolean;
  /** Who sent it, as the reader knows them ("You" for the reader). */
  senderName: string;
  /** The sender's `@username` beside the name (names can repeat or look alike); null when not known. */
  senderHandle: string | null;
  /** The sender is a bot account: marked as such. */
  senderIsBot?: boolean;
  /** Shown above the text (first message of a group from someone else in a group conversation). */
  showSender: boolean;
  /** Ticks, for this user's messages. */
  status: MessageStatus | null;
  /** For system entries: the sentence to show. */
  systemLine: string | null;
  /** Opens who-has-read-it for this message (this user's messages in groups); stable across renders. */
  onInfo?: (seq: number) => void;
}

/**
 * A stored message (or a system line about the conversation). Its props are
 * the SDK's entry, which never changes, and strings: a new message or a
 * receipt redraws only the items it changes.
 */
export const MessageItem = memo(function MessageItem(props: MessageItemProps) {
  const { entry, mine, firstOfGroup, lastOfGroup, senderName, senderHandle, senderIsBot, showSender, status, systemLine, onInfo } = props;
  const content = entry.message;
  // Being edited in place; the action sheet open (its "More actions" button, or a long press on a phone).
  const [editing, setEditing] = useState(false);
  const [sheetOpen, setSheetOpen] = useState(false);
  const { client, me } = useSignedIn();
  const longPress = useLongPress(() => setSheetOpen(true));
  // Leaving the editor by keyboard puts focus back on the message's actions, not on the page.
  const endEdit = (from: HTMLElement | null): void => {
    setEditing(false);
    from?.closest('li')?.querySelector<HTMLElement>('[aria-label="More actions"]')?.focus();
  };
  if (content.type === 'system') {
    return (
      <li className="system-line" data-seq={entry.seq}>
        {systemLine}
      </li>
    );
  }
  return (
    <li
      className={`message${mine ? ' message--mine' : ''}${mentionsMe(entry, me.id) ? ' message--mentions-me' : ''}${groupClasses(firstOfGroup, lastOfGroup)}`}
      data-seq={entry.seq}
      data-status={status ?? undefined}
    >
      <div className="message__body">
        <div className="bubble" {...(content.type === 'text' ? longPress : {})}>
          {showSender ? (
            <p className="bubble__sender">
              {entry.integration?.display_name ?? senderName}
              {senderIsBot && <span className="bot-badge">{entry.integration ? 'integration' : 'bot'}</span>}
              {senderHandle && <span className="bubble__handle"> {senderHandle}</span>}
            </p>
          ) : (
            <span className="sr-only">{senderName}: </span>
          )}
          {/* A thread reply to the root itself quotes nothing: the panel shows the root above it. */}
          {entry.reply_to && content.type === 'text' && entry.reply_to.seq !== entry.thread_root && <ReplyQuote quote={entry.reply_to} />}
          {content.type === 'text' && content.attachments?.map((a) => <AttachmentCard key={a.id} attachment={a} />)}
          {content.type !== 'text' ? (
            <p className="bubble__deleted">{content.type === 'hidden' ? 'removed by moderation' : 'message deleted'}</p>
          ) : editing ? (
            <MessageEditor entry={entry} onDone={endEdit} />
          ) : (
            <MessageText text={content.text} mentioned={mentionedNames(entry.mentions, (id) => client.userById(id)?.username)} self={me.username} />
          )}
          <Meta at={entry.created_at} lastOfGroup={lastOfGroup} edited={!!entry.edited_at && content.type === 'text'} pinned={!!entry.pinned_at && content.type === 'text'}>
            {status &&
              (onInfo ? (
                <button type="button" className="ticks-button" onClick={() => onInfo(entry.seq)} aria-label={`${statusLabel(status)}. Message info`} title="Who has read it">
                  <Ticks status={status} />
                </button>
              ) : (
                <Ticks status={status} />
              ))}
          </Meta>
        </div>
        <MessageActions entry={entry} onEdit={() => setEditing(true)} sheetOpen={sheetOpen} setSheetOpen={setSheetOpen} />
      </div>
      <Reactions entry={entry} />
      {entry.thread && <ThreadSummary entry={entry} />}
    </li>
  );
});

/** One of this user's messages that the server has not stored yet: sending, or failed with Retry / Delete. */
export const PendingItem = memo(function PendingItem({ item, firstOfGroup, lastOfGroup }: Omit<PendingRow, 'kind' | 'key'>) {
  const { client } = useSignedIn();
  const failed = item.status === 'failed';
  const quote = pendingQuote(client.messages(item.conversation_id), item.reply_to, item.thread);
  return (
    <li className={`message message--mine message--pending${failed ? ' message--failed' : ''}${groupClasses(firstOfGroup, lastOfGroup)}`} data-status={item.status}>
      <div className="bubble">
        <span className="sr-only">You: </span>
        {quote && <ReplyQuote quote={quote} />}
        <MessageText text={item.text} />
        <Meta at={item.sent_at} lastOfGroup={lastOfGroup}>
          <Ticks status={item.status} />
        </Meta>
      </div>
      {failed && (
        <div className="message__failure" role="alert">
          <span>Not sent.{item.error ? ` ${describeCode(item.error.code)}` : ''}</span>
          <button type="button" className="link-button" onClick={() => client.retrySend(item.client_msg_id)}>
            Retry
          </button>
          <button type="button" className="link-button link-button--danger" onClick={() => client.discardSend(item.client_msg_id)}>
            Delete
          </button>
        </div>
      )}
    </li>
  );
});
