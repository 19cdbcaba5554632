import type { Seq } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useMessages } from '../hooks/use-messages.ts';
import { useJumpToMessage, type JumpTarget } from '../hooks/use-jump-to-message.ts';
import { MessageContextValue, type MessageContext, type ReplyDraft } from '../hooks/use-message-context.ts';
import { peopleIn, useFormerMembers } from '../hooks/use-names.ts';
import { describeError } from '../lib/errors.ts';
import { memberHandle, memberName, systemText, isBotMember } from '../lib/names.ts';
import { buildRows, type Row } from '../lib/rows.ts';
import { inTimeline, pendingInTimeline } from '../lib/threads.ts';
import { quoteSnippet } from './reply-quote.tsx';
import { Icon } from './icon.tsx';
import { CallEntry } from './call-entry.tsx';
import { DaySeparator } from './day-separator.tsx';
import { useNotice } from '../hooks/use-notice.ts';
import { usePageShown } from '../hooks/use-page-shown.ts';
import { MessageItem, PendingItem } from './message-item.tsx';
import { ReadByDialog } from './read-by-dialog.tsx';

/** Within this many pixels of the end the reader counts as "at the bottom": new messages keep it there. */
const STICK_PX = 48;
/** Older history is asked for while the reader is this close to the top. */
const LOAD_OLDER_PX = 300;
/** The day label stays at the top while the reader scrolls, and until this long after. */
const DAY_LABEL_LINGER_MS = 1200;
/** The "New messages" line lands this far below the top edge, so the reader sees a little of what came before. */
const DIVIDER_MARGIN_PX = 24;

/**
 * The history of one conversation. It opens at the newest message, pages
 * back through history as the reader scrolls up (keeping what they look at
 * in place), follows new messages while the reader is at the bottom, and
 * otherwise offers a "new messages" button. Opened with unread messages, it
 * lands on the first of them under a "New messages" line instead (loading
 * older pages until it is there), and offers "Jump to first unread" while
 * that line is out of view. Reaching the bottom of a visible page marks the
 * conversation read. New messages from others are announced
 * in a polite live region; loaded history is not.
 */
export function MessageList({
  conversation,
  jump,
  onReply,
  onOpenThread,
}: {
  conversation: ConversationSnapshot;
  jump?: JumpTarget | null;
  /** A message's Reply action: the composer quotes it. */
  onReply: (draft: ReplyDraft) => void;
  /** A root's thread summary, or a message's "Reply in thread": the thread panel opens on it. */
  onOpenThread: (rootSeq: Seq) => void;
}) {
  const { client, me } = useSignedIn();
  const { entries, pending } = useMessages(client, conversation.id);
  // Thread replies stay in their thread (lib/threads.ts): the root carries their summary.
  const rows = useMemo(() => buildRows(entries.filter(inTimeline), pendingInTimeline(pending), me.id), [entries, pending, me.id]);
  const people = useMemo(() => peopleIn(entries), [entries]);
  const lookup = useFormerMembers(conversation, people);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  const [unseen, setUnseen] = useState(0);
  const [announcement, setAnnouncement] = useState('');
  const previous = useRef<{ first: string | null; last: string | null; height: number } | null>(null);
  const scrollIdle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const id = conversation.id;
  // The message whose "Message info" is open (who has read it), by seq.
  const [infoSeq, setInfoSeq] = useState<number | null>(null);
  const showInfo = useCallback((seq: number) => setInfoSeq(seq), []);
  const closeInfo = useCallback(() => setInfoSeq(null), []);
  // What was unread when the conversation opened: the line stays there for this visit, even once it is read.
  const [unreadAfter] = useState<number | null>(() => (conversation.unread_count > 0 ? conversation.read_seq : null));
  const hasOlder = conversation.has_older;
  // A quote clicked in a reply: its original, brought into view like a search result.
  const [quoteJump, setQuoteJump] = useState<JumpTarget | null>(null);
  const target = jump && (!quoteJump || jump.nonce > quoteJump.nonce) ? jump : quoteJump;
  // What an action had to say ("Link copied", or why it failed).
  const [notice, setNotice] = useNotice();
  const live = useRef({ conversation, lookup, onReply, onOpenThread });
  live.current = { conversation, lookup, onReply, onOpenThread };
  const context = useMemo<MessageContext>(() => {
    const nameOf = (userId: string): string => memberName(live.current.conversation, me.id, userId, live.current.lookup);
    return {
      conversation: () => live.current.conversation,
      nameOf,
      reply: (entry) => {
        const text = entry.message.type === 'text' ? entry.message.text : null;
        live.current.onReply({ seq: entry.seq, name: nameOf(entry.sender_id), text: quoteSnippet(text) });
      },
      openThread: (rootSeq) => live.current.onOpenThread(rootSeq),
      jumpTo: (seq) => setQuoteJump({ seq, nonce: Date.now() }),
      notify: (text) => setNotice(text),
    };
  }, [me.id]);
  const dividerKey = useMemo(() => {
    if (unreadAfter === null) return null;
    // Only once everything since the mark is loaded: the first unread one loaded is not the first unread one.
    const oldest = rows.find((r) => r.kind === 'entry');
    if (oldest?.kind !== 'entry' || (oldest.entry.seq > unreadAfter + 1 && hasOlder)) return null;
    const first = rows.find((r) => r.kind === 'entry' && !r.mine && r.entry.seq > unreadAfter);
    return first?.key ?? null;
  }, [rows, unreadAfter, hasOlder]);
  const divider = useRef<HTMLLIElement>(null);
  // True while the view should go to the "New messages" line as soon as it is there (on opening, after a jump).
  const land = useRef(unreadAfter !== null);
  const [jumpWanted, setJumpWanted] = useState(0);
  const [dividerOut, setDividerOut] = useState(false);

  const checkDivider = useCallback(() => {
    const el = scroller.current;
    const line = divider.current;
    if (!el || unreadAfter === null || land.current) return setDividerOut(false);
    if (!line) return setDividerOut(true);
    const box = line.getBoundingClientRect();
    const view = el.getBoundingClientRect();
    setDividerOut(box.bottom <= view.top || box.top >= view.bottom);
  }, [unreadAfter]);

  const markReadIfSeen = useCallback(() => {
    const c = client.conversation(id);
    if (!c || c.cursor <= c.read_seq || land.current) return;
    if (document.visibilityState !== 'visible' || !stick.current) return;
    client.markRead(id);
  }, [client, id]);

  const loadOlder = useCallback(() => {
    if (loadingOlder || !client.conversation(id)?.has_older) return;
    setLoadingOlder(true);
    setOlderError(null);
    client
      .loadOlder(id)
      .catch((err: unknown) => setOlderError(describeError(err)))
      .finally(() => setLoadingOlder(false));
  }, [client, id, loadingOlder]);

  // A search result, link or pin leads to a thread reply: it is shown in its thread, not in the timeline.
  const threadJumped = useRef<number | null>(null);
  useEffect(() => {
    if (!target || threadJumped.current === target.nonce) return;
    const root = entries.find((e) => e.seq === target.seq)?.thread_root;
    if (root === undefined) return;
    threadJumped.current = target.nonce;
    live.current.onOpenThread(root);
  }, [target, entries]);

  // A search result leads here: show that message (the reader is then not at the bottom, nor landing on unread).
  useJumpToMessage(scroller, target, {
    firstSeq: entries[0]?.seq,
    hasOlder,
    loadingOlder,
    loadOlder,
    onLanded: () => {
      land.current = false;
      stick.current = false;
    },
  });

  // Keep the view where the reader expects it after every change of rows.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const messages = rows.filter((r): r is Exclude<Row, { kind: 'day' }> => r.kind !== 'day');
    const first = messages[0]?.key ?? null;
    const lastRow = messages.at(-1);
    const last = lastRow?.key ?? null;
    const before = previous.current;
    if (before && before.first !== null && first !== before.first && messages.some((r) => r.key === before.first)) {
      // History went in above: shift by its height so the same message stays under the reader's eyes.
      el.scrollTop += el.scrollHeight - before.height;
    }
    if (last !== (before?.last ?? null) && lastRow) {
      const mine = lastRow.kind === 'pending' || lastRow.mine;
      if (!before || before.last === null || stick.current || mine) {
        el.scrollTop = el.scrollHeight;
        stick.current = true;
      } else {
        setUnseen((n) => n + 1);
      }
      if (before && before.last !== null && lastRow.kind === 'entry' && !lastRow.mine) {
        const content = lastRow.entry.message;
        if (content.type === 'text') {
          setAnnouncement(`${memberName(conversation, me.id, lastRow.entry.sender_id, lookup)}: ${content.text}`);
        }
      }
    }
    const line = divider.current;
    if (land.current && line) {
      el.scrollTop += line.getBoundingClientRect().top - el.getBoundingClientRect().top - DIVIDER_MARGIN_PX;
      land.current = false;
      stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
      if (stick.current) setUnseen(0);
    }
    previous.current = { first, last, height: el.scrollHeight };
    checkDivider();
  }, [rows, conversation, me.id, lookup, checkDivider]);

  // The first unread message is further back than what is loaded: load older pages until it is in.
  useEffect(() => {
    if (!land.current || unreadAfter === null || dividerKey !== null || loadingOlder) return;
    if (olderError) {
      // History would not load: stay where the reader is rather than hold back read receipts for a line
      // that may never come ("Jump to first unread" tries again once the error is dismissed).
      land.current = false;
      checkDivider();
      return;
    }
    const first = entries[0];
    if (!first) return;
    if (first.seq > unreadAfter + 1 && conversation.has_older) {
      loadOlder();
      return;
    }
    // Everything after the mark is loaded and none of it is someone else's: nothing to land on.
    land.current = false;
    checkDivider();
    markReadIfSeen();
  }, [entries, unreadAfter, dividerKey, loadingOlder, olderError, conversation.has_older, loadOlder, checkDivider, markReadIfSeen, jumpWanted]);

  // Landed on the line with everything unread in view: it counts as read.
  useEffect(() => {
    if (dividerKey !== null) markReadIfSeen();
  }, [dividerKey, markReadIfSeen]);

  // Fill the viewport: keep loading older pages while there is no scrollbar yet.
  useEffect(() => {
    const el = scroller.current;
    if (!el || loadingOlder || olderError || !conversation.has_older) return;
    if (el.scrollHeight - el.clientHeight < LOAD_OLDER_PX) loadOlder();
  }, [rows, loadingOlder, olderError, conversation.has_older, loadOlder]);

  // Resizes (the composer growing, a rotated phone) keep a reader at the bottom there.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    markReadIfSeen();
  }, [conversation.cursor, conversation.read_seq, markReadIfSeen]);

  usePageShown(markReadIfSeen);

  useEffect(() => () => clearTimeout(scrollIdle.current), []);

  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    // The day of what scrolls by sticks to the top only while it scrolls: at rest the label would lie
    // over the text beneath it. (A data attribute, which React does not manage, spares a render per event.)
    el.dataset.scrolling = '';
    clearTimeout(scrollIdle.current);
    scrollIdle.current = setTimeout(() => delete el.dataset.scrolling, DAY_LABEL_LINGER_MS);
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    if (stick.current) {
      setUnseen(0);
      markReadIfSeen();
    }
    if (el.scrollTop < LOAD_OLDER_PX && !olderError) loadOlder();
    checkDivider();
  };

  const jumpToFirstUnread = (): void => {
    const el = scroller.current;
    if (!el) return;
    land.current = true;
    const line = divider.current;
    if (line) {
      el.scrollTop += line.getBoundingClientRect().top - el.getBoundingClientRect().top - DIVIDER_MARGIN_PX;
      land.current = false;
      stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
      checkDivider();
    } else {
      setJumpWanted((n) => n + 1);
    }
    // The control goes away once the line is in view: keep the keyboard in the history it scrolled.
    el.focus({ preventScroll: true });
  };

  const jumpToLatest = (): void => {
    const el = scroller.current;
    if (!el) return;
    el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
    stick.current = true;
    setUnseen(0);
    markReadIfSeen();
  };

  return (
    <MessageContextValue.Provider value={context}>
    <div className="messages-wrap">
      <div className="messages" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label="Message history">
        <div className="messages__top">
          {loadingOlder && <p role="status">Loading earlier messages…</p>}
          {olderError && (
            <p role="alert">
              {olderError}{' '}
              <button type="button" className="link-button" onClick={() => setOlderError(null)}>
                Try again
              </button>
            </p>
          )}
          {!conversation.has_older && !loadingOlder && (
            <p className="messages__start">{rows.length === 0 ? 'No messages yet. Say hello!' : 'This is the start of the conversation.'}</p>
          )}
        </div>
        <ol className="messages__list" aria-label="Messages">
          {rows.map((row) => {
            if (row.kind === 'day') return <DaySeparator key={row.key} row={row} />;
            if (row.kind === 'pending') {
              return <PendingItem key={row.key} item={row.item} firstOfGroup={row.firstOfGroup} lastOfGroup={row.lastOfGroup} />;
            }
            if (row.kind === 'call') {
              const callName = (userId: string): string => memberName(conversation, me.id, userId, lookup);
              return <CallEntry key={row.key} call={row.call} conversationId={id} group={conversation.type === 'group'} name={callName} />;
            }
            const { entry } = row;
            const content = entry.message;
            const name = (userId: string): string => memberName(conversation, me.id, userId, lookup);
            return (
              <Fragment key={row.key}>
                {row.key === dividerKey && (
                  <li className="unread-divider" ref={divider}>
                    <span>New messages</span>
                  </li>
                )}
                <MessageItem
                  entry={entry}
                  mine={row.mine}
                  firstOfGroup={row.firstOfGroup}
                  lastOfGroup={row.lastOfGroup}
                  senderName={name(entry.sender_id)}
                  senderHandle={memberHandle(conversation, entry.sender_id, lookup)}
                  senderIsBot={isBotMember(conversation, entry.sender_id, lookup)}
                  showSender={!row.mine && conversation.type === 'group' && row.firstOfGroup}
                  status={row.mine && content.type === 'text' ? client.messageStatus(id, entry.seq) : null}
                  systemLine={content.type === 'system' ? systemText(content, name, me.id) : null}
                  onInfo={row.mine && conversation.type === 'group' ? showInfo : undefined}
                />
              </Fragment>
            );
          })}
        </ol>
      </div>
      {dividerOut && (
        <button type="button" className="jump-unread" onClick={jumpToFirstUnread}>
          <Icon name="up" size={16} /> Jump to first unread
        </button>
      )}
      {unseen > 0 && (
        <button type="button" className="jump-latest" onClick={jumpToLatest}>
          <Icon name="down" size={16} /> {unseen} new {unseen === 1 ? 'message' : 'messages'}
        </button>
      )}
      {infoSeq !== null && <ReadByDialog conversation={conversation} seq={infoSeq} onClose={closeInfo} />}
      <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="message-announcer">
        {announcement}
      </div>
      <p className={`messages__notice${notice ? '' : ' messages__notice--empty'}`} role="status" data-testid="action-notice">
        {notice}
      </p>
    </div>
    </MessageContextValue.Provider>
  );
}
