import type { ConversationId, MessageView, Seq } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { useEffect } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useClientState } from '../hooks/use-client-state.ts';
import { useMessageContext } from '../hooks/use-message-context.ts';
import { formatDateTime, formatListTime } from '../lib/format.ts';
import { Icon } from './icon.tsx';

const THREAD_EVENTS = ['thread', 'session'] as const;

/** Threads whose read state this client has asked the server for, per client: once each. */
const asked = new WeakMap<ParleyClient, Set<string>>();
/**
 * One question at a time, this far apart: a history full of thread roots asks
 * at 10 a second, half what the server lets one user's REST requests refill
 * (20 a second), so loading history or sending never meets a 429 for it.
 */
const ASK_SPACING_MS = 100;
const questions: Array<() => Promise<unknown>> = [];
let asking = false;

async function askInTurn(question: () => Promise<unknown>): Promise<void> {
  questions.push(question);
  if (asking) return;
  asking = true;
  for (let next = questions.shift(); next; next = questions.shift()) {
    await next().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, ASK_SPACING_MS));
  }
  asking = false;
}

/**
 * The SDK knows this user's read cursor of a thread only once the server
 * said it (a thread page, a `thread_read` frame): until then a root cannot
 * tell whether its replies are unread. One reply's page carries the cursor
 * and the count, and the SDK keeps them current from then on.
 */
function learnReadState(client: ParleyClient, conversationId: ConversationId, rootSeq: Seq): void {
  let keys = asked.get(client);
  if (!keys) asked.set(client, (keys = new Set()));
  const key = `${conversationId}:${rootSeq}`;
  if (keys.has(key)) return;
  keys.add(key);
  // Failed (offline, say): asked again when the root is drawn anew.
  void askInTurn(() => client.readThread(conversationId, rootSeq, { limit: 1 }).catch(() => keys.delete(key)));
}

export function replyCount(n: number): string {
  return `${n} ${n === 1 ? 'reply' : 'replies'}`;
}

/**
 * Under a thread's root in the timeline: "3 replies · last reply 14:05", and
 * a dot while the thread has replies from others after this user's read
 * cursor of it. A click (or Enter) opens the thread panel.
 */
export function ThreadSummary({ entry }: { entry: MessageView }) {
  const { client } = useSignedIn();
  const context = useMessageContext();
  const { conversation_id: id, seq } = entry;
  const unread = useClientState(client, THREAD_EVENTS, () => client.threadState(id, seq).unread, [id, seq]);
  useEffect(() => {
    if (unread === null) learnReadState(client, id, seq);
  }, [client, id, seq, unread]);
  const thread = entry.thread;
  if (!thread) return null;
  const count = replyCount(thread.reply_count);
  const fresh = unread !== null && unread > 0;
  const last = formatListTime(thread.last_reply_at);
  return (
    <button
      type="button"
      className={`thread-summary${fresh ? ' thread-summary--unread' : ''}`}
      onClick={() => context.openThread(seq)}
      aria-label={`${count}, last reply ${last}${fresh ? ', unread replies' : ''}. Open thread`}
      title={`Last reply ${formatDateTime(thread.last_reply_at)}`}
    >
      {fresh && <span className="thread-summary__dot" data-testid="thread-unread" />}
      <Icon name="thread" size={16} />
      <span className="thread-summary__count">{count}</span>
      <span className="thread-summary__last">last reply {last}</span>
    </button>
  );
}
