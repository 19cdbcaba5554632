import { expect, it } from 'vitest';
import type { ChangeContent, MessageView } from '@parley/protocol';
import { ConversationLog } from './conversation-log.ts';

const conv = 'c1';
const message = (seq: number, text: string, extra: Partial<MessageView> = {}): MessageView => ({
  conversation_id: conv,
  seq,
  message_id: `m${seq}`,
  sender_id: 'alice',
  message: { type: 'text', text, client_msg_id: `k${seq}` },
  created_at: '2026-01-01T00:00:00.000Z',
  ...extra,
});
const change = (seq: number, target: number, content: Omit<ChangeContent, 'type' | 'target_seq' | 'target_id'>, by = 'bob'): MessageView => ({
  conversation_id: conv,
  seq,
  message_id: `m${seq}`,
  sender_id: by,
  message: { type: 'change', target_seq: target, target_id: `m${target}`, ...content },
  created_at: '2026-01-01T00:01:00.000Z',
});

const shown = (log: ConversationLog) =>
  log.entries().map((e) => ({
    seq: e.seq,
    text: e.message.type === 'text' ? e.message.text : e.message.type,
    reactions: (e.reactions ?? []).map((r) => `${r.emoji}${r.count}`).join(','),
  }));

const story = [
  message(1, 'draft'),
  message(2, 'oops'),
  change(3, 1, { change: 'edited', text: 'final' }, 'alice'),
  change(4, 1, { change: 'reaction_added', emoji: '🎉' }),
  change(5, 2, { change: 'reaction_added', emoji: '😮' }),
  change(6, 2, { change: 'deleted' }, 'alice'),
  change(7, 1, { change: 'reaction_removed', emoji: '🎉' }),
  change(8, 1, { change: 'reaction_added', emoji: '✅' }),
];
const end = [
  { seq: 1, text: 'final', reactions: '✅1' },
  { seq: 2, text: 'deleted', reactions: '' },
];

it('applies edits, deletes and reactions in log order, and lists no change entries', () => {
  const log = new ConversationLog();
  story.forEach((e) => log.insert(e));
  expect(shown(log)).toEqual(end);
  expect(log.cursor).toBe(8);
});

it('ends in the same state whatever order the entries arrive in', () => {
  for (const order of [[...story].reverse(), [story[4]!, story[2]!, story[0]!, story[7]!, story[5]!, story[1]!, story[6]!, story[3]!]]) {
    const log = new ConversationLog();
    order.forEach((e) => log.insert(e));
    expect(shown(log)).toEqual(end);
  }
});

it('does not apply again a change a message view already reflects (a page read after it)', () => {
  const log = new ConversationLog();
  // History read after seq 7: 🎉 already removed; the replayed add at 4 must not bring it back.
  log.insert(message(1, 'final', { last_change_seq: 7, edited_at: 'x', reactions: [] }));
  for (const e of story.slice(2)) log.insert(e);
  expect(shown(log)[0]).toEqual({ seq: 1, text: 'final', reactions: '✅1' });
});

it('shows an optimistic change over the message until it is dropped (a rollback)', () => {
  const log = new ConversationLog();
  log.insert(message(1, 'hello'));
  const before = log.entries()[0];
  const undo = log.overlay(1, (e) => ({ ...e, message: { type: 'deleted' } }));
  expect(shown(log)[0]!.text).toBe('deleted');
  undo();
  expect(log.entries()[0]).toBe(before);
});
