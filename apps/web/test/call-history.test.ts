import type { MessageView, SystemContent } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { callText, summarizeCall } from '../src/lib/call-history.ts';
import { buildRows } from '../src/lib/rows.ts';

const [ADA, BEN, CY] = ['ada', 'ben', 'cy'];
const NAMES: Record<string, string> = { ada: 'Ada', ben: 'Ben', cy: 'Cy' };
let seq = 0;
function entry(content: Omit<SystemContent, 'type'>, at = '2030-05-10T10:00:00.000Z'): MessageView {
  seq++;
  return { conversation_id: 'c', seq, message_id: `m${seq}`, sender_id: content.actor_id, message: { type: 'system', ...content }, created_at: at };
}
const text = (entries: MessageView[], me: string) => callText(summarizeCall(entries), (id) => (id === me ? 'You' : NAMES[id]!), me);

/** A group call of three: Ada rings Ben and Cy (legs L1, L2); Ben answers, Cy declines; later Ben hangs up last. */
function groupCall(ended: boolean): MessageView[] {
  const g = 'G';
  const list = [
    entry({ event: 'call_started', actor_id: ADA, call_id: 'L1', group_call_id: g, user_ids: [BEN], video: true }),
    entry({ event: 'call_started', actor_id: ADA, call_id: 'L2', group_call_id: g, user_ids: [CY], video: true }),
    entry({ event: 'call_answered', actor_id: BEN, call_id: 'L1', group_call_id: g }),
    entry({ event: 'call_ended', actor_id: CY, call_id: 'L2', group_call_id: g, user_ids: [CY], reason: 'user_rejected', duration_ms: 0 }),
  ];
  if (ended) list.push(entry({ event: 'call_ended', actor_id: BEN, call_id: 'L1', group_call_id: g, user_ids: [BEN], reason: 'user_hangup', duration_ms: 125_000 }));
  return list;
}

describe('call history', () => {
  it('a group call of several legs is one line: in progress with who is in it, then how long, who joined and who declined', () => {
    expect(text(groupCall(false), BEN)).toBe('Video call in progress · Ada and you · Cy declined');
    expect(text(groupCall(true), ADA)).toBe('Video call · 2:05 · you and Ben · Cy declined');
    expect(text(groupCall(true), CY)).toBe('Video call · 2:05 · Ada and Ben · You declined');
  });

  it('someone who joins a call in progress calls those in it, under the same group call: the line counts them in', () => {
    const g = 'G';
    const entries = [
      entry({ event: 'call_started', actor_id: ADA, call_id: 'L1', group_call_id: g, user_ids: [CY], video: false }),
      entry({ event: 'call_answered', actor_id: CY, call_id: 'L1', group_call_id: g }),
      entry({ event: 'call_started', actor_id: BEN, call_id: 'L2', group_call_id: g, user_ids: [ADA], video: false }),
      entry({ event: 'call_answered', actor_id: ADA, call_id: 'L2', group_call_id: g }),
    ];
    expect(text(entries, ADA)).toBe('Voice call in progress · you, Cy and Ben');
  });

  it('an unanswered 1:1 call reads as missed for the one rung and as no answer for the caller; a declined one as declined', () => {
    const missed = [
      entry({ event: 'call_started', actor_id: ADA, call_id: 'X', user_ids: [BEN], video: false }),
      entry({ event: 'call_ended', actor_id: ADA, call_id: 'X', user_ids: [BEN], reason: 'invite_timeout', duration_ms: 0 }),
    ];
    expect(text(missed, BEN)).toBe('Missed voice call from Ada');
    expect(text(missed, ADA)).toBe('Voice call · no answer');
    const declined = [
      entry({ event: 'call_started', actor_id: ADA, call_id: 'Y', user_ids: [BEN], video: false }),
      // Written before call_ended named who was rung: the decliner is its actor.
      entry({ event: 'call_ended', actor_id: BEN, call_id: 'Y', reason: 'user_rejected', duration_ms: 0 }),
    ];
    expect(text(declined, ADA)).toBe('Voice call declined');
    expect(text(declined, BEN)).toBe('You declined a voice call from Ada');
  });

  it('the timeline draws one row per call, where it started, with the messages around it in place', () => {
    const msg = (n: number): MessageView => {
      seq++;
      return { conversation_id: 'c', seq, message_id: `t${n}`, sender_id: ADA, message: { type: 'text', text: `m${n}`, client_msg_id: `c${n}`, attachments: [] }, created_at: '2030-05-10T10:00:00.000Z' };
    };
    const call = groupCall(true);
    const rows = buildRows([msg(1), call[0]!, call[1]!, msg(2), ...call.slice(2), msg(3)], [], BEN, new Date('2030-05-10T12:00:00Z'));
    expect(rows.map((r) => (r.kind === 'entry' ? (r.entry.message as { text: string }).text : r.kind))).toEqual(['day', 'm1', 'call', 'm2', 'm3']);
    const callRow = rows.find((r) => r.kind === 'call');
    expect(callRow?.kind === 'call' && callRow.entries.length).toBe(5);
  });
});
