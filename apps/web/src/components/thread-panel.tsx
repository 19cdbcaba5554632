import type { MessageView, Seq } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useMediaQuery } from '../hooks/use-media-query.ts';
import { MessageContextValue, type MessageContext, type ReplyDraft } from '../hooks/use-message-context.ts';
import { peopleIn, useFormerMembers } from '../hooks/use-names.ts';
import { useThread, useThreadPages } from '../hooks/use-thread.ts';
import { isBotMember, memberHandle, memberName } from '../lib/names.ts';
import { buildRows } from '../lib/rows.ts';
import { Composer } from './composer.tsx';
import { DaySeparator } from './day-separator.tsx';
import { useNotice } from '../hooks/use-notice.ts';
import { usePageShown } from '../hooks/use-page-shown.ts';
import { Icon } from './icon.tsx';
import { MessageItem, PendingItem } from './message-item.tsx';
import { quoteSnippet } from './reply-quote.tsx';
import { replyCount } from './thread-summary.tsx';

/** Within this many pixels of the end the reader counts as "at the bottom": new replies keep it there. */
const STICK_PX = 48;
/** The same breakpoint as styles.css: below it the panel covers the conversation. */
const PHONE = '(max-width: 720px)';

/**
 * One thread beside its conversation (#15): the root on top, its replies in
 * order (paged from the server as the reader scrolls), and a composer that
 * sends into the thread. Replies arrive live; while the panel is open and the
 * page visible, what it shows counts as read. Escape or the close button
 * closes it and focus goes back where it was. On a phone it covers the
 * conversation as a dialog, with a back button.
 */
export function ThreadPanel({ conversation, rootSeq, onClose }: { conversation: ConversationSnapshot; rootSeq: Seq; onClose: () => void }) {
  const { client, me } = useSignedIn();
  const id = conversation.id;
  const { root, replies, pending, readSeq } = useThread(client, id, rootSeq);
  const pages = useThreadPages(client, id, rootSeq);
  const shown = useMemo(() => replies.filter((r) => r.seq <= pages.upTo), [replies, pages.upTo]);
  // This user's unsent replies go at the end: only once the end is shown.
  const rows = useMemo(() => buildRows(shown, pages.hasMore ? [] : pending, me.id), [shown, pending, pages.hasMore, me.id]);
  const people = useMemo(() => peopleIn(root ? [root, ...shown] : shown), [root, shown]);
  const lookup = useFormerMembers(conversation, people);
  const phone = useMediaQuery(PHONE);
  const titleId = useId();
  // Where focus was when the panel opened (read while rendering: the composer takes focus in its effects).
  const [opener] = useState(() => document.activeElement as HTMLElement | null);
  const [reply, setReply] = useState<ReplyDraft | null>(null);
  const [notice, setNotice] = useNotice();
  const [announcement, setAnnouncement] = useState('');
  const panel = useRef<HTMLDivElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  const moreButton = useRef<HTMLButtonElement>(null);
  const stick = useRef(false);
  const lastKey = useRef<string | null>(null);

  const live = useRef({ conversation, lookup });
  live.current = { conversation, lookup };
  const context = useMemo<MessageContext>(() => {
    const nameOf = (userId: string): string => memberName(live.current.conversation, me.id, userId, live.current.lookup);
    const focusComposer = (): void => panel.current?.querySelector<HTMLElement>('.composer__field')?.focus();
    return {
      conversation: () => live.current.conversation,
      nameOf,
      // A reply to a reply stays in this thread, quoting it.
      reply: (entry) => {
        const text = entry.message.type === 'text' ? entry.message.text : null;
        setReply({ seq: entry.seq, name: nameOf(entry.sender_id), text: quoteSnippet(text) });
      },
      openThread: focusComposer,
      jumpTo: (seq) => panel.current?.querySelector(`[data-seq="${seq}"]`)?.scrollIntoView({ block: 'center' }),
      notify: setNotice,
    };
  }, [me.id]);

  // On a phone (no composer focus on open), the dialog takes focus; on closing, focus goes back.
  useEffect(() => {
    if (!panel.current?.contains(document.activeElement)) closeButton.current?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, [opener]);

  // What is shown is read, while the page is visible.
  const lastShown = shown.at(-1)?.seq ?? 0;
  const markShown = useCallback(() => {
    if (lastShown <= client.threadState(id, rootSeq).readSeq || document.visibilityState !== 'visible') return;
    client.markThreadRead(id, rootSeq, lastShown).catch(() => {});
  }, [client, id, rootSeq, lastShown]);
  useEffect(markShown, [markShown, readSeq]);
  usePageShown(markShown);

  // A new reply: follow it if the reader is at the bottom or wrote it; announce it if someone else did.
  useLayoutEffect(() => {
    const el = scroller.current;
    const last = rows.at(-1);
    const key = last && last.kind !== 'day' ? last.key : null;
    if (!el || key === lastKey.current) return;
    const first = lastKey.current === null;
    lastKey.current = key;
    if (first || !last) return;
    const mine = last.kind === 'pending' || (last.kind === 'entry' && last.mine);
    if (stick.current || mine) el.scrollTop = el.scrollHeight;
    if (last.kind === 'entry' && !last.mine && last.entry.message.type === 'text') {
      setAnnouncement(`${context.nameOf(last.entry.sender_id)}: ${last.entry.message.text}`);
    }
  }, [rows, context]);

  // The next page loads when its button scrolls into view.
  const { hasMore, more } = pages;
  useEffect(() => {
    const el = moreButton.current;
    if (!el || !hasMore) return;
    const observer = new IntersectionObserver((seen) => seen.some((e) => e.isIntersecting) && more(), { root: scroller.current });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasMore, more]);

  const onKeyDown = (event: KeyboardEvent): void => {
    // Not an Escape something inside already used (cancelling a reply or an edit, closing a dialog).
    if (event.key !== 'Escape' || event.defaultPrevented || (event.target as Element).closest('dialog')) return;
    event.preventDefault();
    onClose();
  };

  const onScroll = (): void => {
    const el = scroller.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
  };

  const item = (key: string, entry: MessageView, mine: boolean, firstOfGroup: boolean, lastOfGroup: boolean) => (
    <MessageItem
      key={key}
      entry={entry}
      mine={mine}
      firstOfGroup={firstOfGroup}
      lastOfGroup={lastOfGroup}
      senderName={context.nameOf(entry.sender_id)}
      senderHandle={memberHandle(conversation, entry.sender_id, lookup)}
      senderIsBot={isBotMember(conversation, entry.sender_id, lookup)}
      showSender={!mine && firstOfGroup}
      status={mine && entry.message.type === 'text' ? client.messageStatus(id, entry.seq) : null}
      systemLine={null}
    />
  );

  const count = root?.thread?.reply_count ?? 0;
  return (
    <div
      ref={panel}
      className="thread-panel"
      role={phone ? 'dialog' : 'complementary'}
      aria-modal={phone || undefined}
      aria-labelledby={titleId}
      onKeyDown={onKeyDown}
    >
      <header className="conversation-header">
        {phone && (
          <button ref={closeButton} type="button" className="icon-button" aria-label="Back to conversation" onClick={onClose}>
            <Icon name="back" />
          </button>
        )}
        <h2 id={titleId} className="thread-panel__title">
          Thread
        </h2>
        {!phone && (
          <button ref={closeButton} type="button" className="icon-button" aria-label="Close thread" title="Close thread (Escape)" onClick={onClose}>
            <Icon name="close" />
          </button>
        )}
      </header>
      <MessageContextValue.Provider value={context}>
        <div className="messages" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label="Thread messages">
          <ol className="thread-panel__list thread-panel__root" aria-label="Thread root">
            {root ? item('root', root, root.sender_id === me.id, true, true) : !pages.error && <li role="status">Loading thread…</li>}
          </ol>
          <p className="thread-panel__count">{count === 0 ? 'No replies yet' : replyCount(count)}</p>
          <ol className="thread-panel__list" aria-label="Replies">
            {rows.map((row) => {
              if (row.kind === 'day') return <DaySeparator key={row.key} row={row} />;
              if (row.kind === 'pending') return <PendingItem key={row.key} item={row.item} firstOfGroup={row.firstOfGroup} lastOfGroup={row.lastOfGroup} />;
              if (row.kind === 'call') return null;
              return item(row.key, row.entry, row.mine, row.firstOfGroup, row.lastOfGroup);
            })}
          </ol>
          {pages.loading && <p role="status" className="thread-panel__status">Loading replies…</p>}
          {pages.error && (
            <p role="alert" className="thread-panel__status">
              {pages.error}{' '}
              <button type="button" className="link-button" onClick={pages.retry}>
                Try again
              </button>
            </p>
          )}
          {hasMore && !pages.loading && !pages.error && (
            <button ref={moreButton} type="button" className="link-button thread-panel__more" onClick={more}>
              Show more replies
            </button>
          )}
        </div>
        <Composer conversationId={id} thread={rootSeq} reply={reply} onCancelReply={() => setReply(null)} />
      </MessageContextValue.Provider>
      <div className="sr-only" role="status" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
      <p className={`messages__notice${notice ? '' : ' messages__notice--empty'}`} role="status">
        {notice}
      </p>
    </div>
  );
}
