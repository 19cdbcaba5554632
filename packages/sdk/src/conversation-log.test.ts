import { describe, expect, it } from 'vitest';
import type { MessageView } from '@parley/protocol';
import { ConversationLog } from './conversation-log.ts';

const entry = (seq: number, sender = 'bob', type: 'text' | 'system' = 'text'): MessageView => ({
  conversation_id: 'c',
  seq,
  message_id: `m${seq}`,
  sender_id: sender,
  message:
    type === 'text'
      ? { type: 'text', text: `t${seq}`, client_msg_id: `c${seq}` }
      : { type: 'system', event: 'members_added', actor_id: sender },
  created_at: new Date(seq * 1000).toISOString(),
});

/** A deterministic shuffle, so a failing order can be reproduced from its seed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('ConversationLog', () => {
  it('advances the cursor over contiguous entries and reports a gap after a jump', () => {
    const log = new ConversationLog();
    expect(log.insert(entry(1))).toBe(true);
    expect(log.insert(entry(2))).toBe(true);
    expect(log.cursor).toBe(2);
    expect(log.gap()).toBeNull();
    log.insert(entry(5));
    expect(log.cursor).toBe(2);
    expect(log.lastSeq).toBe(5);
    expect(log.gap()).toEqual({ afterSeq: 2, count: 3 });
    log.insert(entry(4));
    log.insert(entry(3));
    expect(log.cursor).toBe(5);
    expect(log.gap()).toBeNull();
  });

  it('refuses duplicates by seq without changing anything', () => {
    const log = new ConversationLog();
    log.insert(entry(1));
    const dup = { ...entry(1), message_id: 'other' };
    expect(log.insert(dup)).toBe(false);
    expect(log.entries()).toEqual([entry(1)]);
    expect(log.size).toBe(1);
  });

  it('holds entries in seq order whatever order, and however often, they arrive', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const seqs = Array.from({ length: 30 }, (_, i) => i + 1);
      // Every entry twice, shuffled: duplicates and reordering at once.
      const arrivals = shuffled([...seqs, ...seqs], seed);
      const log = new ConversationLog();
      let inserted = 0;
      for (const seq of arrivals) {
        if (log.insert(entry(seq))) inserted++;
        const held = log.entries().map((e) => e.seq);
        expect(held).toEqual([...held].sort((a, b) => a - b));
        // The cursor is the end of the run from 1 that is complete.
        let expected = 0;
        while (held.includes(expected + 1)) expected++;
        expect(log.cursor, `seed ${seed}`).toBe(expected);
      }
      expect(inserted).toBe(30);
      expect(log.entries().map((e) => e.seq)).toEqual(seqs);
    }
  });

  it('starts above history it has not loaded, and pages it in backwards', () => {
    const log = new ConversationLog(10);
    expect(log.cursor).toBe(10);
    expect(log.hasOlder).toBe(true);
    expect(log.olderBefore).toBe(11);
    log.insert(entry(11));
    expect(log.cursor).toBe(11);
    expect(log.addOlder([6, 7, 8, 9, 10].map((s) => entry(s)), true).map((e) => e.seq)).toEqual([6, 7, 8, 9, 10]);
    expect(log.olderBefore).toBe(6);
    expect(log.hasOlder).toBe(true);
    log.addOlder([1, 2, 3, 4, 5].map((s) => entry(s)), false);
    expect(log.hasOlder).toBe(false);
    expect(log.entries().map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(log.cursor).toBe(11);
  });

  it('knows of entries it does not hold (from a view or a synced cursor) as a gap', () => {
    const log = new ConversationLog(3);
    log.observeLastSeq(7);
    expect(log.gap()).toEqual({ afterSeq: 3, count: 4 });
    log.observeLastSeq(5);
    expect(log.lastSeq).toBe(7);
  });

  it('counts messages from others in a range, leaving out own messages and system entries', () => {
    const log = new ConversationLog();
    [entry(1), entry(2, 'me'), entry(3, 'bob', 'system'), entry(4), entry(5)].forEach((e) => log.insert(e));
    expect(log.countFromOthers('me', 0)).toBe(3);
    expect(log.countFromOthers('me', 1)).toBe(2);
    expect(log.countFromOthers('me', 1, 4)).toBe(1);
    expect(log.countFromOthers('me', 5)).toBe(0);
  });

  it('counts a call that rang me and went unanswered as unread, but not my own calls or others\' missed calls', () => {
    const log = new ConversationLog();
    const call = (seq: number, reason: string, rung: string): MessageView => ({
      conversation_id: 'c',
      seq,
      message_id: `m${seq}`,
      sender_id: 'alice',
      message: { type: 'system', event: 'call_ended', actor_id: 'alice', call_id: `k${seq}`, user_ids: [rung], reason, duration_ms: 0 },
      created_at: '2030-01-01T00:00:00.000Z',
    });
    for (const e of [call(1, 'invite_timeout', 'me'), call(2, 'invite_timeout', 'bob'), call(3, 'user_hangup', 'me'), call(4, 'user_rejected', 'me')]) log.insert(e);
    expect(log.countFromOthers('me', 0)).toBe(1);
    expect(log.countFromOthers('bob', 0)).toBe(1);
    expect(log.countFromOthers('alice', 0)).toBe(0);
  });
});
