import type { MessageView, SystemContent, UserId } from '@parley/protocol';
import type { OutboxEntry } from '@parley/sdk';
import { callKey, isCallEntry, summarizeCall, type CallSummary } from './call-history.ts';
import { dayKey, formatDay } from './format.ts';

/** What the message list draws, in order: day headings, stored entries, and this user's unsent messages. */
export type Row =
  | { kind: 'day'; key: string; label: string; date: string }
  | { kind: 'entry'; key: string; entry: MessageView; mine: boolean; firstOfGroup: boolean; lastOfGroup: boolean }
  | { kind: 'pending'; key: string; item: OutboxEntry; firstOfGroup: boolean; lastOfGroup: boolean }
  /** One call, from all the entries its legs wrote (started, answered, ended), where it started. */
  | { kind: 'call'; key: string; entries: MessageView[]; call: CallSummary; mine: boolean };

/** Messages of one sender within this long of each other share a group (one name, tight spacing). */
const GROUP_GAP_MS = 5 * 60_000;

/**
 * Lays out a conversation: a heading before each new day, and groups of
 * consecutive messages by one sender. A message keeps the same key while it
 * moves from the outbox to the log (its sender and `client_msg_id`), so React
 * updates it in place rather than redrawing it.
 */
export function buildRows(entries: readonly MessageView[], pending: readonly OutboxEntry[], me: UserId, now = new Date()): Row[] {
  type Item = { at: Date; sender: UserId | null; row: Row };
  const items: Item[] = [];
  const calls = new Map<string, Extract<Row, { kind: 'call' }>>();
  for (const entry of entries) {
    if (isCallEntry(entry)) {
      const id = callKey(entry.message as SystemContent);
      const row = calls.get(id);
      if (row) {
        row.entries.push(entry);
        continue;
      }
      const fresh = { kind: 'call' as const, key: `call:${id}`, entries: [entry], call: null as unknown as CallSummary, mine: false };
      calls.set(id, fresh);
      items.push({ at: new Date(entry.created_at), sender: null, row: fresh });
      continue;
    }
    const system = entry.message.type === 'system';
    const key = entry.message.type === 'text' ? `m:${entry.sender_id}:${entry.message.client_msg_id}` : `s:${entry.seq}`;
    items.push({
      at: new Date(entry.created_at),
      sender: system ? null : entry.sender_id,
      row: { kind: 'entry', key, entry, mine: entry.sender_id === me, firstOfGroup: true, lastOfGroup: true },
    });
  }
  for (const row of calls.values()) {
    row.call = summarizeCall(row.entries);
    row.mine = row.call.caller === me;
  }
  // An unsent message goes after everything stored, whatever this device's clock said when it was written.
  const lastAt = items.at(-1)?.at.getTime() ?? 0;
  for (const item of pending) {
    items.push({
      at: new Date(Math.max(new Date(item.sent_at).getTime(), lastAt)),
      sender: me,
      row: { kind: 'pending', key: `m:${me}:${item.client_msg_id}`, item, firstOfGroup: true, lastOfGroup: true },
    });
  }

  const rows: Row[] = [];
  const days = new Set<string>();
  let previous: Item | null = null;
  for (const item of items) {
    const day = dayKey(item.at);
    const newDay = !previous || dayKey(previous.at) !== day;
    if (newDay) {
      const key = days.has(`d:${day}`) ? `d:${day}:${rows.length}` : `d:${day}`;
      days.add(key);
      rows.push({ kind: 'day', key, label: formatDay(item.at, now), date: item.at.toISOString() });
    }
    const continues =
      !newDay &&
      previous !== null &&
      item.sender !== null &&
      previous.sender === item.sender &&
      item.at.getTime() - previous.at.getTime() < GROUP_GAP_MS;
    if (continues && previous && previous.row.kind !== 'day') {
      (previous.row as { lastOfGroup: boolean }).lastOfGroup = false;
      (item.row as { firstOfGroup: boolean }).firstOfGroup = false;
    }
    rows.push(item.row);
    previous = item;
  }
  return rows;
}
