import type { MessageView, SystemContent, UserId } from '@parley/protocol';
import { formatCallDuration } from './format.ts';

const CALL_EVENTS = new Set<SystemContent['event']>(['call_started', 'call_answered', 'call_ended']);

/** A call entry of the log (started, answered, ended), for any leg. */
export function isCallEntry(entry: MessageView): boolean {
  return entry.message.type === 'system' && CALL_EVENTS.has(entry.message.event);
}

/** The call a call entry belongs to: its group call (every leg of one mesh), else the leg itself. */
export function callKey(content: SystemContent): string {
  return content.group_call_id ?? content.call_id ?? '';
}

/**
 * One call as the timeline shows it, from all the entries its legs wrote:
 * who called, voice or video, who joined, declined or missed it, how long,
 * and whether it still goes on.
 */
export interface CallSummary {
  id: string;
  video: boolean;
  caller: UserId;
  /** The caller and everyone who answered, in that order. */
  joined: UserId[];
  declined: UserId[];
  missed: UserId[];
  /** Null while the call goes on. */
  durationMs: number | null;
  /** When the first leg started. */
  startedAt: string;
}

const LEG_OUTCOMES = new Set(['user_rejected', 'invite_timeout']);

export function summarizeCall(entries: readonly MessageView[]): CallSummary {
  const contents = entries.map((e) => e.message as SystemContent);
  const first = contents.find((c) => c.event === 'call_started') ?? contents[0]!;
  const caller = first.actor_id;
  const joined = [caller];
  const declined: UserId[] = [];
  const missed: UserId[] = [];
  const started = new Set<string>();
  const endedLegs = new Set<string>();
  let durationMs: number | null = null;
  let video = false;
  const legCaller = new Map<string, UserId>();
  const join = (id: UserId | undefined) => id !== undefined && !joined.includes(id) && joined.push(id);
  for (const c of contents) {
    if (c.event === 'call_started') {
      started.add(c.call_id ?? '');
      legCaller.set(c.call_id ?? '', c.actor_id);
      video ||= c.video === true;
    } else if (c.event === 'call_answered') {
      // Both ends of an answered leg are in the call (someone who joined later calls those already in it).
      join(legCaller.get(c.call_id ?? ''));
      join(c.actor_id);
    } else if (c.event === 'call_ended') {
      endedLegs.add(c.call_id ?? '');
      // Entries written before they named who was rung: the actor of a decline is who declined.
      const rung = c.user_ids?.[0] ?? (c.reason === 'user_rejected' ? c.actor_id : undefined);
      if (c.reason === 'user_rejected' && rung && !declined.includes(rung)) declined.push(rung);
      else if (c.reason === 'invite_timeout' && rung && !missed.includes(rung)) missed.push(rung);
      // The call as a whole ends with the first end that is not one leg's outcome (the server writes
      // that one only when no leg goes on), or when every leg was declined or missed.
      if (!LEG_OUTCOMES.has(c.reason ?? '')) durationMs = c.duration_ms ?? 0;
    }
  }
  if (durationMs === null && started.size > 0 && [...started].every((id) => endedLegs.has(id))) durationMs = 0;
  return { id: callKey(first), video, caller, joined, declined, missed, durationMs, startedAt: entries[0]!.created_at };
}

function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * The call's line in the timeline, e.g. "Video call · 12:05 · Ada, Ben and you",
 * "Voice call in progress · Ada and Cy · Ben declined", "Missed voice call".
 * `name` gives "You" for the reader.
 */
export function callText(call: CallSummary, name: (id: UserId) => string, me: UserId): string {
  const kind = call.video ? 'video' : 'voice';
  const Kind = call.video ? 'Video' : 'Voice';
  const who = (ids: UserId[]) => list(ids.map((id) => (id === me ? 'you' : name(id))));
  const others = (ids: UserId[], verb: string) => (ids.length ? [`${who(ids)} ${verb}`.replace(/^you/, 'You')] : []);
  const answered = call.joined.length > 1;
  if (call.durationMs === null) {
    return [`${Kind} call in progress`, who(call.joined), ...others(call.declined, 'declined')].join(' · ');
  }
  if (answered) {
    return [`${Kind} call · ${formatCallDuration(call.durationMs)}`, who(call.joined), ...others(call.declined, 'declined'), ...others(call.missed, 'missed it')].join(' · ');
  }
  if (call.missed.includes(me)) return `Missed ${kind} call from ${name(call.caller)}`;
  if (call.declined.includes(me)) return `You declined a ${kind} call from ${name(call.caller)}`;
  if (call.declined.length > 0 && call.missed.length === 0) return `${Kind} call declined`;
  return `${Kind} call · no answer`;
}
