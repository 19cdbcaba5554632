import type {
  CallAnswerFrame,
  CallClientFrame,
  CallHangupReason,
  CallInviteFrame,
  CallPushFrame,
  CallRelayFrame,
  ConversationId,
  SystemContent,
  UserId,
} from '@parley/protocol';
import type { Logger } from 'pino';
import type { Database, Sql } from '../store/database.ts';
import type { Notifier } from '../bus/notifier.ts';
import type { Limit, RateLimiter } from '../limits/rate-limiter.ts';
import { AppError } from '../errors.ts';
import { memberIds } from '../conversations/conversations-repo.ts';
import { notFound } from '../conversations/conversations-service.ts';
import { appendEntry } from '../messaging/log-repo.ts';
import { recordEvent } from '../events/outbox.ts';
import { ANSWERED_TTL_MS, ENDED_TTL_MS, RING_CAPS, type CallState, type CallStore } from './call-store.ts';

const gone = () => new AppError('not_found', 'no such call, or it has ended');
const wrongState = (state: string) => new AppError('conflict', `the call is ${state}`);
const notParty = () => new AppError('forbidden', 'you are not a party to this call');

export interface CallServiceOptions {
  /** Counts invites per invitee (shared across instances when configured). */
  limiter: RateLimiter;
  /** Invites one user may be sent, whoever calls. */
  invitesLimit: Limit;
  /** The socket send buffer past which a socket is closed as a slow consumer (WS_MAX_BUFFERED_BYTES). */
  sendBufferBytes: number;
}

/** The group call a leg belongs to: as its invite said, else the leg itself (a 1:1 call). */
const groupOf = (call: CallState): string => call.invite.group_call_id ?? call.id;

/** Most bytes of ringing invites written to a device as it connects (also at most half its send buffer). */
const MAX_REPLAY_BYTES = 256 * 1024;

/**
 * Call signaling. The server relays each frame to the other party's devices
 * (wherever they are connected), checks it against the call's state, rings
 * and stops ringing, and writes call_started / call_answered / call_ended
 * entries into the conversation's log so history shows calls.
 */
export class CallService {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly replayBytes: number;

  constructor(
    private readonly db: Database,
    private readonly store: CallStore,
    private readonly notifier: Notifier,
    private readonly log: Logger,
    private readonly options: CallServiceOptions,
  ) {
    this.replayBytes = Math.min(MAX_REPLAY_BYTES, Math.floor(options.sendBufferBytes / 2));
  }

  async handle(me: UserId, frame: CallClientFrame): Promise<void> {
    switch (frame.type) {
      case 'call_invite':
        return this.invite(me, frame);
      case 'call_answer':
        return this.answer(me, frame);
      case 'call_reject':
        return this.end(me, frame.call_id, 'user_rejected', { onlyInvitee: true, ringingOnly: true, relay: frame });
      case 'call_hangup':
        return this.end(me, frame.call_id, frame.reason ?? 'user_hangup', { relay: frame });
      case 'call_candidates':
      case 'call_negotiate':
      case 'call_select_answer':
        return this.relayBetweenParties(me, frame);
    }
  }

  private async invite(me: UserId, frame: CallInviteFrame): Promise<void> {
    const members = await memberIds(this.db, frame.conversation_id);
    if (!members.includes(me)) throw notFound();
    const others = members.filter((id) => id !== me);
    const invitee = frame.invitee ?? (others.length === 1 ? others[0]! : null);
    if (!invitee) throw new AppError('validation_failed', 'name the invitee: a group call is a mesh of 1:1 calls');
    if (!others.includes(invitee)) throw new AppError('forbidden', 'the invitee is not a member of this conversation');

    const { id: _, ...invite } = frame;
    const now = Date.now();
    const call: CallState = {
      id: frame.call_id,
      conversation_id: frame.conversation_id,
      caller_id: me,
      caller_party: frame.party_id,
      invitee_id: invitee,
      state: 'ringing',
      callee_party: null,
      created_at: now,
      answered_at: null,
      ring_until: now + frame.lifetime,
      invite,
    };
    // Per invitee, whoever calls: many callers together must not ring one user without end.
    const wait = await this.options.limiter.take(`invites:${invitee}`, this.options.invitesLimit);
    if (wait > 0) this.refuse(me, call, new AppError('rate_limited', 'too many calls to this user; try again later', { retryAfter: wait }));
    if (await this.busyElsewhere(invitee, frame.conversation_id)) {
      // Busy: the caller hears it at once; nothing rings.
      this.hangUpOnCaller(me, call);
      return;
    }
    // Kept past the ring time, so the timeout can still end it (ringing() checks ring_until).
    const outcome = await this.store.create(call, frame.lifetime + ENDED_TTL_MS, RING_CAPS);
    if (outcome === 'id_taken') throw new AppError('conflict', 'that call id is taken');
    if (outcome === 'caller_cap') this.refuse(me, call, new AppError('conflict', `you already ring this user ${RING_CAPS.perCaller} times`));
    if (outcome === 'invitee_cap') this.refuse(me, call, new AppError('conflict', 'this user has too many calls ringing'));
    await this.record(call.conversation_id, { type: 'system', event: 'call_started', actor_id: me, call_id: call.id, group_call_id: groupOf(call), user_ids: [invitee], video: frame.offer.sdp.includes('m=video') });
    this.notifier.toUsers([invitee], this.push(me, call, invite));
    this.timers.set(
      call.id,
      setTimeout(() => void this.expire(call.id), frame.lifetime).unref(),
    );
  }

  /** The call will not ring: the caller hears `user_busy` (as when the invitee is in a call). */
  private hangUpOnCaller(me: UserId, call: CallState): void {
    this.notifier.toUsers([me], this.push(me, call, { type: 'call_hangup', call_id: call.id, party_id: 'server', reason: 'user_busy' }));
  }

  /** Refuses an invite: `user_busy` for the caller's devices, and `error` for the frame. */
  private refuse(me: UserId, call: CallState, error: AppError): never {
    this.hangUpOnCaller(me, call);
    throw error;
  }

  /**
   * In an answered call of another conversation (calls within one conversation
   * form a mesh, not a conflict). Every answered leg counts: a user still on one
   * leg of a mesh is busy after another leg ends.
   */
  private async busyElsewhere(userId: UserId, conversationId: ConversationId): Promise<boolean> {
    const calls = await Promise.all((await this.store.activeCallsOf(userId)).map((id) => this.store.get(id)));
    return calls.some((call) => call !== null && call.state === 'answered' && call.conversation_id !== conversationId);
  }

  private async answer(me: UserId, frame: CallAnswerFrame): Promise<void> {
    let refusal: AppError | null = null;
    const answered = await this.store.transition(
      frame.call_id,
      (call) => {
        if (call.invitee_id !== me) refusal = notParty();
        else if (call.state !== 'ringing' || call.ring_until <= Date.now()) refusal = wrongState(call.state === 'ringing' ? 'no longer ringing' : call.state);
        if (refusal) return null;
        return { ...call, state: 'answered', callee_party: frame.party_id, answered_at: Date.now() };
      },
      ANSWERED_TTL_MS,
    );
    if (!answered) throw refusal ?? gone();
    this.clearTimer(answered.id);
    await this.store.addActiveCall([answered.caller_id, answered.invitee_id], answered.id, ANSWERED_TTL_MS);
    await this.record(answered.conversation_id, { type: 'system', event: 'call_answered', actor_id: me, call_id: answered.id, group_call_id: groupOf(answered) });
    const { id: _, ...relay } = frame;
    this.notifier.toUsers([answered.caller_id], this.push(me, answered, relay));
    // The callee's other devices stop ringing (the answering one knows its own party_id).
    this.notifier.toUsers([me], this.push(me, answered, { type: 'call_hangup', call_id: answered.id, party_id: frame.party_id, reason: 'answered_elsewhere' }));
  }

  private async relayBetweenParties(me: UserId, frame: Exclude<CallClientFrame, { type: 'call_invite' | 'call_answer' | 'call_reject' | 'call_hangup' }>): Promise<void> {
    const call = await this.store.get(frame.call_id);
    if (!call || call.state === 'ended') throw gone();
    if (me !== call.caller_id && me !== call.invitee_id) throw notParty();
    if (frame.type === 'call_select_answer' && me !== call.caller_id) throw notParty();
    if (frame.type === 'call_negotiate' && call.state !== 'answered') throw wrongState(call.state);
    const { id: _, ...relay } = frame;
    const other = me === call.caller_id ? call.invitee_id : call.caller_id;
    this.notifier.toUsers([other], this.push(me, call, relay));
  }

  /** Ends a call (hangup, reject or timeout), tells both parties' devices, and logs it. */
  private async end(
    me: UserId | null,
    callId: string,
    reason: CallHangupReason,
    options: { onlyInvitee?: boolean; ringingOnly?: boolean; relay?: CallClientFrame } = {},
  ): Promise<void> {
    let refusal: AppError | null = null;
    let before: CallState | null = null;
    const ended = await this.store.transition(
      callId,
      (call) => {
        if (me !== null && me !== call.caller_id && me !== call.invitee_id) refusal = notParty();
        else if (options.onlyInvitee && me !== call.invitee_id) refusal = notParty();
        else if (call.state === 'ended') refusal = wrongState('ended');
        else if (options.ringingOnly && call.state !== 'ringing') refusal = wrongState(call.state);
        if (refusal) return null;
        before = call;
        return { ...call, state: 'ended' };
      },
      ENDED_TTL_MS,
    );
    if (!ended || !before) {
      if (me === null) return; // a timer for a call already answered or ended elsewhere
      throw refusal ?? gone();
    }
    const was = before as CallState;
    this.clearTimer(callId);
    if (was.state === 'answered') await this.store.removeActiveCall([was.caller_id, was.invitee_id], callId);
    // A leg that was declined or rang out says so ("Call declined", "Missed call"). Any other end of
    // a leg is the end of the call only when no other leg of its mesh goes on. The event goes with the entry.
    const outcomeOfLeg = reason === 'user_rejected' || reason === 'invite_timeout';
    if (outcomeOfLeg || !(await this.carryOn(was))) {
      const duration = was.answered_at ? Date.now() - was.answered_at : 0;
      const actor = me ?? was.caller_id;
      // user_ids: who this leg rang, so a missed call is known as theirs.
      const content: SystemContent = { type: 'system', event: 'call_ended', actor_id: actor, call_id: callId, group_call_id: groupOf(was), user_ids: [was.invitee_id], reason, duration_ms: duration };
      await this.record(was.conversation_id, content, (tx, seq) =>
        recordEvent(tx, 'call.ended', was.conversation_id, {
          conversation_id: was.conversation_id,
          seq,
          call_id: callId,
          caller_id: was.caller_id,
          invitee_id: was.invitee_id,
          actor_id: actor,
          reason,
          duration_ms: duration,
        }),
      );
    }
    // Relayed as sent, with the reason filled in (a hangup without one is a user_hangup).
    const frame: CallRelayFrame = options.relay
      ? (({ id: _, ...rest }) => (rest.type === 'call_hangup' ? { ...rest, reason } : rest))(options.relay)
      : { type: 'call_hangup', call_id: callId, party_id: 'server', reason };
    // Both users' devices: the other party, and the ender's own other devices (which may still ring).
    this.notifier.toUsers([was.caller_id, was.invitee_id], this.push(me ?? was.caller_id, was, frame));
  }

  /**
   * Whether other answered legs of the same mesh go on after `ended` (someone
   * left a group call that continues). A mesh's legs share parties, so those
   * of the ended leg's two users are the ones to look at. The legs that go on
   * take the earliest answer of the two, so the call's end, when it is
   * logged, counts from when the call, not that leg, began.
   */
  private async carryOn(ended: CallState): Promise<boolean> {
    const ids = new Set((await Promise.all([ended.caller_id, ended.invitee_id].map((u) => this.store.activeCallsOf(u)))).flat());
    ids.delete(ended.id);
    const legs = (await Promise.all([...ids].map((id) => this.store.get(id)))).filter(
      (leg): leg is CallState => leg !== null && leg.state === 'answered' && leg.conversation_id === ended.conversation_id,
    );
    const since = ended.answered_at;
    if (since !== null) {
      for (const leg of legs) {
        await this.store.transition(
          leg.id,
          (c) => (c.state === 'answered' && (c.answered_at === null || c.answered_at > since) ? { ...c, answered_at: since } : null),
          ANSWERED_TTL_MS,
        );
      }
    }
    return legs.length > 0;
  }

  private async expire(callId: string): Promise<void> {
    this.timers.delete(callId);
    try {
      const call = await this.store.get(callId);
      if (call?.state === 'ringing') await this.end(null, callId, 'invite_timeout');
    } catch (err) {
      this.log.warn({ err, call: callId }, 'could not expire call');
    }
  }

  /**
   * Invites still ringing `userId`, newest first: sent to a device that
   * connects while they ring. Bounded in number (the store's cap) and in bytes
   * (well under the send buffer), so a connecting device is never closed as a
   * slow consumer by its own invites.
   */
  async ringingFor(userId: UserId): Promise<CallPushFrame[]> {
    const calls = (await this.store.ringing(userId)).sort((x, y) => y.created_at - x.created_at).slice(0, RING_CAPS.perInvitee);
    const frames: CallPushFrame[] = [];
    let bytes = 0;
    for (const c of calls) {
      const frame = this.push(c.caller_id, c, { ...c.invite, lifetime: Math.max(0, c.ring_until - Date.now()) });
      bytes += Buffer.byteLength(JSON.stringify(frame));
      if (bytes > this.replayBytes) break;
      frames.push(frame);
    }
    return frames;
  }

  private push(sender: UserId, call: CallState, frame: CallRelayFrame): CallPushFrame {
    return { ...frame, conversation_id: call.conversation_id, sender_id: sender } as CallPushFrame;
  }

  /** Writes a call entry into the conversation's log, with its outbox event (`event`) in the same transaction. */
  private async record(
    conversationId: ConversationId,
    content: SystemContent,
    event?: (tx: Sql, seq: number) => Promise<void>,
  ): Promise<void> {
    const { entry, members } = await this.db.transaction(async (tx) => {
      const entry = (await appendEntry(tx, { conversationId, senderId: content.actor_id, kind: 'system', clientMsgId: null, content }))!;
      await event?.(tx, entry.seq);
      return { entry, members: await memberIds(tx, conversationId) };
    });
    this.notifier.toConversation(conversationId, members, { type: 'message', ...entry });
  }

  private clearTimer(callId: string): void {
    clearTimeout(this.timers.get(callId));
    this.timers.delete(callId);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
