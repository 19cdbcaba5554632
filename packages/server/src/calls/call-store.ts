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

/**
 * Call state shared by every instance, with expiry. Transitions are atomic
 * (compare-and-set), so of two devices answering at once exactly one wins.
 */
export interface CallStore {
  /** Stores a new call; false when the id is taken. */
  create(call: CallState, ttlMs: number): Promise<boolean>;
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
  /** Calls ringing this user right now. */
  ringing(userId: UserId): Promise<CallState[]>;
}

/**
 * How long an answered call's state is kept after the answer. Media flows
 * peer to peer with no signaling for hours, so nothing refreshes it: a call
 * longer than this is forgotten by the server (it no longer makes its
 * parties busy, and its hang-up records no end).
 */
export const ANSWERED_TTL_MS = 6 * 60 * 60 * 1000;
/** How long an ended call's state is kept, so late frames get a clear answer. */
export const ENDED_TTL_MS = 60 * 1000;
