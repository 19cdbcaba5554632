import { describe, expect, it } from 'vitest';
import type { ChangeContent, ConversationView, MessageView, ServerFrame } from '@parley/protocol';
import { ConversationStore } from './conversation-store.ts';
import { conversationView } from '../test/support/views.ts';
import { MessageActions } from './message-actions.ts';
import { ParleyError } from './errors.ts';

const conv = 'c1';
const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
const message = (seq: number, extra: Partial<MessageView> = {}, by = 'bob'): MessageView => ({
  conversation_id: conv,
  seq,
  message_id: `m${seq}`,
  sender_id: by,
  message: { type: 'text', text: `text ${seq}`, client_msg_id: `k${seq}` },
  created_at: at(seq),
  ...extra,
});
const change = (seq: number, target: number, content: Omit<ChangeContent, 'type' | 'target_seq' | 'target_id'>, extra: Partial<MessageView> = {}, by = 'alice'): MessageView => ({
  conversation_id: conv,
  seq,
  message_id: `m${seq}`,
  sender_id: by,
  message: { type: 'change', target_seq: target, target_id: `m${target}`, ...content },
  created_at: at(seq),
  ...extra,
});
const view = (over: Partial<ConversationView> = {}): ConversationView =>
  conversationView({ id: conv, type: 'group', title: 'g', member_count: 3, created_at: at(0), ...over });

function store(over: Partial<ConversationView> = {}) {
  const s = new ConversationStore();
  s.me = 'me';
  s.upsertView(view(over));
  return s;
}
const root = (s: ConversationStore, seq: number) => s.log(conv)!.get(seq)!;

describe('threads', () => {
  it('keeps a root summary from replies arriving in any order, never counting twice what the root view already counts', () => {
    const s = store();
    // The root as a page read it: one reply (seq 3) already counted.
    s.insert(message(1, { thread: { reply_count: 1, last_reply_seq: 3, last_reply_at: at(3), last_sender_id: 'carol' } }));
    s.insert(message(5, { thread_root: 1 }, 'dave'));
    s.insert(message(3, { thread_root: 1 }, 'carol'));
    s.insert(message(4, { thread_root: 1 }, 'erin'));
    expect(root(s, 1).thread).toEqual({ reply_count: 3, last_reply_seq: 5, last_reply_at: at(5), last_sender_id: 'dave' });
    expect(s.log(conv)!.threadReplies(1).map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('applies replies that arrived before their root, and does not count thread replies as unread in the conversation', () => {
    const s = store();
    s.insert(message(3, { thread_root: 1 }));
    s.insert(message(2, { thread_root: 1 }));
    s.insert(message(1));
    expect(root(s, 1).thread).toMatchObject({ reply_count: 2, last_reply_seq: 3 });
    expect(s.snapshot(conv)!.unread_count).toBe(1);
  });

  it('counts unread thread replies from the server state, replies since, and reads since', () => {
    const s = store();
    s.insert(message(1));
    s.applyThreadRead({ conversation_id: conv, root_seq: 1, read_seq: 0, unread_count: 2 }, 3);
    expect(s.threadState(conv, 1)).toEqual({ readSeq: 0, unread: 2 });
    s.insert(message(4, { thread_root: 1 }));
    s.insert(message(5, { thread_root: 1 }, 'me'));
    expect(s.threadState(conv, 1).unread).toBe(3);
    s.markThreadRead(conv, 1, 5);
    expect(s.threadState(conv, 1)).toEqual({ readSeq: 5, unread: 0 });
  });
});

describe('mentions', () => {
  const mine = { user_ids: ['me'], everyone: false };
  it('adds mentions of me (by name, by @everyone, in threads too) to the view count and clears them by reading', () => {
    const s = store({ last_seq: 2, mention_count: 1, unread_count: 2 });
    const counts: number[] = [];
    s.events.on('mentions', ({ count }) => counts.push(count));
    s.insert(message(3, { mentions: mine }));
    s.insert(message(4, { mentions: { user_ids: [], everyone: true } }));
    s.insert(message(5, { mentions: { user_ids: ['someone'], everyone: false } }));
    s.insert(message(6, { mentions: mine, thread_root: 3 }));
    expect(s.snapshot(conv)!.mention_count).toBe(4);
    s.markRead(conv, 4);
    expect(s.snapshot(conv)!.mention_count).toBe(1);
    s.applyReceipt({ type: 'receipt', conversation_id: conv, user_id: 'me', delivered_seq: 6, read_seq: 6 });
    expect(s.snapshot(conv)!.mention_count).toBe(0);
    // My own @everyone is no mention of me.
    s.insert(message(7, { mentions: { user_ids: [], everyone: true } }, 'me'));
    expect(counts).toEqual([2, 3, 4, 1, 0]);
  });

  it('follows an edit that takes a mention back, and keeps it when an entry built from an ack does not say', () => {
    const s = store();
    s.insert(message(1, { mentions: mine }));
    expect(s.snapshot(conv)!.mention_count).toBe(1);
    s.insert(change(2, 1, { change: 'edited', text: 'still you' }, {}, 'bob'));
    expect(s.snapshot(conv)!.mention_count).toBe(1);
    s.insert(change(3, 1, { change: 'edited', text: 'nobody' }, { mentions: { user_ids: [], everyone: false } }, 'bob'));
    expect(root(s, 1).mentions).toBeUndefined();
    expect(s.snapshot(conv)!.mention_count).toBe(0);
  });
});

describe('pins', () => {
  it('applies pin, unpin and delete entries above the loaded list in seq order, whatever order they arrive in', () => {
    const s = store();
    s.setPins(conv, [message(1, { pinned_at: at(2), pinned_by: 'alice' })], 5);
    // Seq 4 is already in the list (at or below as_of_seq); 8, 7, 6 arrive out of order.
    const entries = [
      change(8, 3, { change: 'deleted' }),
      change(4, 2, { change: 'pinned' }),
      change(7, 3, { change: 'pinned' }),
      change(6, 1, { change: 'unpinned' }),
      change(9, 10, { change: 'pinned' }),
    ];
    const seen: number[][] = [];
    s.events.on('pins', ({ pins }) => seen.push(pins.map((p) => p.seq)));
    for (const e of entries) s.insert(e);
    expect(s.pins(conv).map((p) => ({ seq: p.seq, by: p.pinned_by }))).toEqual([{ seq: 10, by: 'alice' }]);
    expect(seen.at(-1)).toEqual([10]);
  });

  it('shows a pin at once and rolls it back when the server refuses', async () => {
    const s = store();
    s.insert(message(1));
    let refuse: (err: Error) => void = () => {};
    const actions = new MessageActions({
      store: s,
      request: () => new Promise<ServerFrame>((_resolve, reject) => (refuse = reject)),
      me: () => 'me',
      randomUUID: () => crypto.randomUUID(),
      ingest: (entry) => s.insert(entry),
    });
    const pinning = actions.pin(conv, 1, true);
    expect(s.log(conv)!.shownAt(1)!.pinned_by).toBe('me');
    refuse(new ParleyError('forbidden', 'admins only'));
    await expect(pinning).rejects.toMatchObject({ code: 'forbidden' });
    expect(s.log(conv)!.shownAt(1)!.pinned_at).toBeUndefined();
    expect(s.pins(conv)).toEqual([]);
  });
});
