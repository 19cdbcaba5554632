import type { CallInviteFrame, ConversationId, UserId } from '@parley/protocol';

export interface CallState {
  id: string;
  conversation_id: ConversationId;
  caller_id: UserId;
  caller_party: string;
  invitee_id: UserId;
  state: 'ringing' | 'answered' | 'ended';
  callee_party: string | null;
  /** Epoch ms. */
  created_at: number;
  answered_at: number | null;
  /** Epoch ms after which a ringing call no longer rings. */
  ring_until: number;
  /** The invite as sent, to ring devices that connect while it rings. */
  invite: Omit<CallInviteFrame, 'id'>;
}

/** How many calls may ring one invitee at once: from one caller, and in all. */
export interface RingCaps {
  perCaller: number;
  perInvitee: number;
}

/** What `create` did: stored the call, found its id taken, or found the invitee's ringing calls at a cap. */
export type CreateOutcome = 'created' | 'id_taken' | 'caller_cap' | 'invitee_cap';

/**
 * Call state shared by every instance, with expiry. Transitions are atomic
 * (compare-and-set), so of two devices answering at once exactly one wins.
 */
export interface CallStore {
  /**
   * Stores a new ringing call unless its id is taken or it would ring its
   * invitee more than `caps` allow (counted atomically across instances:
   * every device of the invitee is sent each ringing invite, so their number
   * must stay bounded whoever calls).
   */
  create(call: CallState, ttlMs: number, caps: RingCaps): Promise<CreateOutcome>;
  get(callId: string): Promise<CallState | null>;
  /**
   * Applies `change` to the current state atomically and returns the new state,
   * or null when the call is gone or `change` returns null (refused).
   */
  transition(callId: string, change: (call: CallState) => CallState | null, ttlMs: number): Promise<CallState | null>;
  /**
   * The answered calls a user is in (busy detection). A group call is a mesh
   * of 1:1 calls, so a user can be in several at once; each one is kept for
   * its own `ttlMs` and leaves on its own.
   */
  activeCallsOf(userId: UserId): Promise<string[]>;
  /** `callId` was answered: it is one of these users' active calls for `ttlMs` (again, if it already was). */
  addActiveCall(userIds: UserId[], callId: string, ttlMs: number): Promise<void>;
  /** `callId` ended: it leaves these users' active calls; their other calls stay. */
  removeActiveCall(userIds: UserId[], callId: string): Promise<void>;
  /** Calls ringing this user right now, at most `caps.perInvitee` of them. */
  ringing(userId: UserId): Promise<CallState[]>;
}

/**
 * How long an answered call's state is kept after the answer. Media flows
 * peer to peer with no signaling for hours, so nothing refreshes it: a call
 * longer than this is forgotten by the server (it no longer makes its
 * parties busy, and its hang-up records no end).
 */
export const ANSWERED_TTL_MS = 6 * 60 * 60 * 1000;
/**
 * Calls that may ring one invitee at once: two from one caller (a retry while
 * the first still rings), eight in all (a busy mesh). Every device of the
 * invitee is sent each of them, also when it connects.
 */
export const RING_CAPS: RingCaps = { perCaller: 2, perInvitee: 8 };
/** How long an ended call's state is kept, so late frames get a clear answer. */
export const ENDED_TTL_MS = 60 * 1000;
