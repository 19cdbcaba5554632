import { describe, expect, it } from 'vitest';
import type { ConversationView, MessageView } from '@parley/protocol';
import { ConversationStore } from './conversation-store.ts';
import { conversationView } from '../test/support/views.ts';

const view = (over: Partial<ConversationView> = {}): ConversationView =>
  conversationView({
    members: [
      { id: 'me', username: 'me', display_name: 'me', role: 'member', delivered_seq: 0, read_seq: 0 },
      { id: 'bob', username: 'bob', display_name: 'bob', role: 'member', delivered_seq: 0, read_seq: 0 },
    ],
    ...over,
  });

const entry = (seq: number, sender = 'bob'): MessageView => ({
  conversation_id: 'c',
  seq,
  message_id: `m${seq}`,
  sender_id: sender,
  message: { type: 'text', text: `t${seq}`, client_msg_id: `c${seq}` },
  created_at: new Date(Date.UTC(2030, 0, 1, 0, 0, seq)).toISOString(),
});

function store() {
  const s = new ConversationStore();
  s.me = 'me';
  const events: string[] = [];
  s.events.on('message', ({ entry: e }) => events.push(`message ${e.seq}`));
  s.events.on('unread', ({ count }) => events.push(`unread ${count}`));
  return { s, events };
}

describe('ConversationStore', () => {
  it('emits each entry once and ignores duplicates, whatever their route', () => {
    const { s, events } = store();
    s.upsertView(view());
    expect(s.insert(entry(1))).toBe(true);
    expect(s.insert(entry(1))).toBe(false);
    s.addOlder('c', [entry(1)], false);
    expect(events.filter((e) => e.startsWith('message'))).toEqual(['message 1']);
  });

  it('starts a conversation first seen in a push just below that entry, so it does not backfill all history', () => {
    const { s } = store();
    s.insert(entry(40));
    expect(s.log('c')?.cursor).toBe(40);
    expect(s.log('c')?.gap()).toBeNull();
    expect(s.hasView('c')).toBe(false);
    expect(s.snapshot('c')).toBeUndefined();
  });

  it('counts unread from the server’s count, then messages from others above the read cursor', () => {
    const { s, events } = store();
    s.upsertView(view({ last_seq: 10, read_seq: 7, unread_count: 3 }));
    expect(s.snapshot('c')?.unread_count).toBe(3);
    s.insert(entry(11));
    s.insert(entry(12, 'me')); // the server moves my cursors with my own message
    expect(s.snapshot('c')?.unread_count).toBe(0);
    s.insert(entry(13));
    expect(s.snapshot('c')?.unread_count).toBe(1);
    s.markRead('c', 13);
    expect(s.snapshot('c')).toMatchObject({ unread_count: 0, read_seq: 13, delivered_seq: 13 });
    expect(events).toEqual(['unread 3', 'message 11', 'unread 4', 'message 12', 'unread 0', 'message 13', 'unread 1', 'unread 0']);
  });

  it('moves another member’s cursors with each message they send, as the server does, and says so', () => {
    // Bob wrote offline; his message was stored after mine, so the server now has him at its seq.
    const { s } = store();
    s.upsertView(view());
    const receipts: string[] = [];
    s.events.on('receipt', ({ userId, deliveredSeq, readSeq }) => receipts.push(`${userId} ${deliveredSeq}/${readSeq}`));
    s.insert(entry(1, 'me'));
    expect(s.status('c', 1)).toBe('sent');
    s.insert(entry(2, 'bob'));
    expect(s.status('c', 1)).toBe('read');
    expect(s.snapshot('c')?.members.find((m) => m.id === 'bob')).toMatchObject({ delivered_seq: 2, read_seq: 2 });
    expect(receipts).toEqual(['bob 2/2']);
    // A system entry is written by the server, not sent by its actor: it moves nothing.
    s.insert({ ...entry(3, 'bob'), message: { type: 'system', event: 'member_left', actor_id: 'bob' } });
    expect(receipts).toEqual(['bob 2/2']);
  });

  it('reads part of the unread backlog: what the log shows is subtracted, never more than exists', () => {
    const { s } = store();
    s.upsertView(view({ last_seq: 10, read_seq: 4, unread_count: 6 }));
    s.addOlder('c', [5, 6, 7, 8, 9, 10].map((n) => entry(n)), true);
    s.markRead('c', 8);
    expect(s.snapshot('c')?.unread_count).toBe(2);
    // Without the entries in hand, the count is capped by how many seqs remain.
    const other = store().s;
    other.upsertView(view({ last_seq: 10, read_seq: 4, unread_count: 6 }));
    other.markRead('c', 9);
    expect(other.snapshot('c')?.unread_count).toBe(1);
  });

  it('moves member cursors forward only, from views and receipts, even before the view arrives', () => {
    const { s } = store();
    s.insert(entry(1, 'me'));
    s.applyReceipt({ type: 'receipt', conversation_id: 'c', user_id: 'bob', delivered_seq: 1, read_seq: 0 });
    expect(s.status('c', 1)).toBe('delivered');
    s.upsertView(view({ last_seq: 1 })); // a REST answer from before the receipt
    expect(s.status('c', 1)).toBe('delivered');
    s.applyReceipt({ type: 'receipt', conversation_id: 'c', user_id: 'bob', delivered_seq: 1, read_seq: 1 });
    expect(s.status('c', 1)).toBe('read');
    s.applyReceipt({ type: 'receipt', conversation_id: 'c', user_id: 'bob', delivered_seq: 0, read_seq: 0 });
    expect(s.snapshot('c')?.members.find((m) => m.id === 'bob')).toMatchObject({ delivered_seq: 1, read_seq: 1 });
    expect(s.status('c', 2)).toBe('sent');
  });

  it('keeps the newest message as last_message when a stale view arrives, and lists by activity', () => {
    const { s } = store();
    s.upsertView(view());
    s.insert(entry(2));
    s.upsertView(view({ last_seq: 1, last_message: entry(1) }));
    expect(s.snapshot('c')?.last_message?.seq).toBe(2);
    s.upsertView(view({ id: 'd', created_at: '2031-01-01T00:00:00.000Z' }));
    expect(s.list().map((c) => c.id)).toEqual(['d', 'c']);
    s.remove('d');
    expect(s.list().map((c) => c.id)).toEqual(['c']);
  });
  it('in a group larger than its preview, ticks count every other member, not just the preview', () => {
    const { s } = store();
    const member = (id: string) => ({ id, username: id, display_name: id, role: 'member' as const, delivered_seq: 0, read_seq: 0 });
    // The server sent a preview of two members of a five-member group.
    s.upsertView(view({ type: 'group', members: [member('me'), member('bob')], member_count: 5, last_seq: 1 }));
    expect(s.hasAllMembers('c')).toBe(false);
    expect(s.snapshot('c')).toMatchObject({ member_count: 5 });
    const receipt = (user: string, read: number) =>
      s.applyReceipt({ type: 'receipt', conversation_id: 'c', user_id: user, delivered_seq: read, read_seq: read });
    receipt('bob', 1);
    // Bob alone is everyone in the preview, but not everyone.
    expect(s.status('c', 1)).toBe('sent');
    receipt('carol', 1);
    receipt('dan', 1);
    expect(s.status('c', 1)).toBe('sent');
    receipt('erin', 1);
    expect(s.status('c', 1)).toBe('read');

    // With the whole list loaded, the members are everyone and ticks follow them by id.
    s.setMembers('c', ['me', 'bob', 'carol', 'dan', 'erin'].map(member));
    expect(s.hasAllMembers('c')).toBe(true);
    expect(s.snapshot('c')!.members.map((m) => m.id)).toEqual(['me', 'bob', 'carol', 'dan', 'erin']);
    expect(s.status('c', 1)).toBe('read');
    // A membership change drops the stale list until it is loaded again.
    s.upsertView(view({ type: 'group', members: [member('me'), member('bob')], member_count: 6, last_seq: 1 }));
    expect(s.hasAllMembers('c')).toBe(false);
    expect(s.status('c', 1)).toBe('sent');
  });
});
