import { describe, expect, it } from 'vitest';
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

describe('moderation', () => {
  const original = message(1, 'spam spam');
  const withFile = { ...original, message: { ...original.message, attachments: [] } } as MessageView;
  const hidden = change(2, 1, { change: 'hidden' }, 'op');
  // The restore entry carries the message as it is again (text, attachments, client id).
  const restored = change(3, 1, { change: 'restored', restored: { type: 'text', text: 'spam spam', client_msg_id: 'k1', attachments: [] } }, 'op');
  const hiddenAgain = change(4, 1, { change: 'hidden' }, 'op');

  it('hides a message (no text, no attachments, its client id kept) and a restore brings it back, in log order', () => {
    const log = new ConversationLog();
    log.insert(withFile);
    log.insert(hidden);
    expect(log.entries()[0]).toMatchObject({ message: { type: 'hidden', client_msg_id: 'k1' }, hidden_at: hidden.created_at });
    expect(JSON.stringify(log.entries()[0])).not.toContain('spam');
    log.insert(restored);
    expect(log.entries()[0]!.message).toEqual({ type: 'text', text: 'spam spam', client_msg_id: 'k1', attachments: [] });
    expect(log.entries()[0]!.hidden_at).toBeUndefined();
    log.insert(hiddenAgain);
    expect(shown(log)).toEqual([{ seq: 1, text: 'hidden', reactions: '' }]);
  });

  it('ends hidden or restored whatever order a sync after an absence brings the entries in', () => {
    for (const [entries, state] of [
      [[hidden, restored, withFile], 'spam spam'],
      [[restored, hidden, withFile], 'spam spam'],
      [[hiddenAgain, withFile, hidden, { ...restored, message: { ...(restored.message as ChangeContent), restored: undefined } }], 'hidden'],
    ] as const) {
      const log = new ConversationLog();
      entries.forEach((e) => log.insert(e as MessageView));
      expect(shown(log)[0]!.text).toBe(state);
    }
  });

  it('keeps a hidden view read after the hide (the server masked it) hidden when the hide entry is replayed', () => {
    const log = new ConversationLog();
    log.insert({ ...original, message: { type: 'hidden', client_msg_id: 'k1' }, hidden_at: 'x', last_change_seq: 2 });
    log.insert(hidden);
    expect(shown(log)[0]!.text).toBe('hidden');
    log.insert(restored);
    expect(shown(log)[0]!.text).toBe('spam spam');
  });
});
