import type { MessageView, Seq } from '@parley/protocol';
import type { OutboxEntry } from '@parley/sdk';

/**
 * Where thread replies show (#15). As in Slack and Mattermost, a reply sent
 * into a thread stays in its thread: the conversation's timeline shows the
 * root with its summary ("3 replies · last reply 14:05"), and the thread
 * panel shows the replies. The SDK and the server agree: thread replies do
 * not count in the conversation's unread count, only in the thread's.
 */
export function inTimeline(entry: MessageView): boolean {
  return entry.thread_root === undefined;
}

/** This user's unsent messages that belong in the timeline (not thread replies). */
export function pendingInTimeline(pending: readonly OutboxEntry[]): OutboxEntry[] {
  return pending.filter((p) => !p.thread);
}

/** The held replies of one thread, oldest first. */
export function threadReplies(entries: readonly MessageView[], rootSeq: Seq): MessageView[] {
  return entries.filter((e) => e.thread_root === rootSeq);
}

/** This user's unsent replies to one thread: sent to its root, or to one of its replies (which joins the same thread). */
export function pendingInThread(pending: readonly OutboxEntry[], rootSeq: Seq, replies: readonly MessageView[]): OutboxEntry[] {
  const seqs = new Set(replies.map((r) => r.seq));
  return pending.filter((p) => p.thread && typeof p.reply_to === 'number' && (p.reply_to === rootSeq || seqs.has(p.reply_to)));
}
