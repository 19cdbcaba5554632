import type { ConversationId, MessageView, Seq } from '@parley/protocol';
import type { OutboxEntry, ParleyClient } from '@parley/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError } from '../lib/errors.ts';
import { pendingInThread, threadReplies } from '../lib/threads.ts';
import { useClientState } from './use-client-state.ts';

/** Replies asked for per page: a long thread is read from the server a page at a time, as the reader scrolls. */
export const THREAD_PAGE = 50;

const THREAD_EVENTS = ['message', 'outbox', 'session', 'thread'] as const;

export interface ThreadContents {
  /** The root as held (undefined until its page or the history brings it). */
  root: MessageView | undefined;
  /** Held replies, oldest first. */
  replies: MessageView[];
  /** This user's replies still in the outbox, not yet among `replies`. */
  pending: OutboxEntry[];
  /** How far this user has read the thread. */
  readSeq: Seq;
}

/** One thread as the SDK holds it: its replies are entries of the conversation's log, kept live by it. */
export function useThread(client: ParleyClient, id: ConversationId, rootSeq: Seq): ThreadContents {
  return useClientState(client, THREAD_EVENTS, () => read(client, id, rootSeq), [id, rootSeq]);
}

function read(client: ParleyClient, id: ConversationId, rootSeq: Seq): ThreadContents {
  const entries = client.messages(id);
  const replies = threadReplies(entries, rootSeq);
  // The server's copy can arrive just before the ack takes the reply out of the outbox: show it once.
  const stored = new Set(replies.map((r) => (r.message.type === 'text' ? r.message.client_msg_id : '')));
  const pending = pendingInThread(client.pending(id), rootSeq, replies).filter((p) => !stored.has(p.client_msg_id));
  return { root: entries.find((e) => e.seq === rootSeq), replies, pending, readSeq: client.threadState(id, rootSeq).readSeq };
}

export interface ThreadPages {
  /** Replies above this seq are not shown yet: they wait for the pages before them (Infinity: every page is in). */
  upTo: Seq;
  loading: boolean;
  /** Why the last page did not load (the held replies show meanwhile). */
  error: string | null;
  /** There are replies beyond `upTo` on the server. */
  hasMore: boolean;
  /** Loads the next page (nothing while one loads, or when there is none). */
  more(): void;
  /** Asks again for the page that failed. */
  retry(): void;
}

/**
 * Pages a thread from the server, oldest first (`GET …/threads/:seq`). What
 * is shown stops at the last reply of the pages read so far: replies that
 * arrived live beyond it wait for the pages between, so the thread never
 * shows with a hole in it. Each page also brings this user's read state.
 */
export function useThreadPages(client: ParleyClient, id: ConversationId, rootSeq: Seq): ThreadPages {
  const [state, setState] = useState({ loaded: false, after: 0, hasMore: true, loading: true, error: null as string | null });
  const alive = useRef(true);
  const load = useCallback(
    (after: Seq) => {
      setState((s) => ({ ...s, loading: true, error: null }));
      client.readThread(id, rootSeq, { afterSeq: after, limit: THREAD_PAGE }).then(
        (page) => alive.current && setState({ loaded: true, after: page.replies.at(-1)?.seq ?? after, hasMore: page.has_more, loading: false, error: null }),
        (err: unknown) => alive.current && setState((s) => ({ ...s, loading: false, error: describeError(err) })),
      );
    },
    [client, id, rootSeq],
  );
  useEffect(() => {
    alive.current = true;
    load(0);
    return () => {
      alive.current = false;
    };
  }, [load]);
  const { loaded, after, hasMore, loading, error } = state;
  // Before the first page: nothing (or, when it failed, what is held, rather than nothing at all).
  const upTo = !loaded ? (error ? Number.POSITIVE_INFINITY : 0) : hasMore ? after : Number.POSITIVE_INFINITY;
  return {
    upTo,
    loading,
    error,
    hasMore: loaded && hasMore,
    more: () => {
      if (loaded && hasMore && !loading && !error) load(after);
    },
    retry: () => load(after),
  };
}
