import type { ConversationId, UserId } from '@parley/protocol';

/**
 * Internal signals between instances that travel on a user's channel beside
 * the frames for the user's devices. A bus payload on a user channel is one
 * of two things, told apart by an explicit envelope rather than by what a
 * JSON frame happens to start with:
 *
 * - a frame for the devices: the frame's JSON, written to the sockets as is;
 *   when the frame is about a conversation, preceded by FRAME_MARK, the
 *   conversation id and FRAME_MARK again, so the hub knows which
 *   conversation it is about (a bot token's scope) without parsing the frame;
 * - a control message: CONTROL_MARK followed by the JSON of a `ControlMessage`,
 *   consumed by the hub and never written to a socket.
 *
 * The marks are characters no JSON text starts with, so a frame (whatever its
 * content) can never be taken for a control message, nor the reverse.
 */
export type ControlMessage =
  /** Ends the sockets of one session of the user, or of all the user's sessions when `sessionId` is null. */
  | { type: 'revoke'; sessionId: string | null }
  /**
   * The user's sockets stop hearing these users' presence: they no longer
   * share a conversation (a subscription is checked only when it is made).
   */
  | { type: 'unwatch'; userIds: UserId[] }
  /**
   * The user's membership of a conversation changed: its sockets hear the
   * conversation's room channel (`listen`: it is a large room the user is in)
   * or stop hearing it.
   */
  | { type: 'room'; conversationId: ConversationId; listen: boolean };

const CONTROL_MARK = '\u0001';
const FRAME_MARK = '\u0002';

export function encodeControl(message: ControlMessage): string {
  return CONTROL_MARK + JSON.stringify(message);
}

/** A frame's JSON for a user channel, with the conversation it is about (null: none). */
export function encodeUserFrame(conversationId: ConversationId | null, json: string): string {
  return conversationId === null ? json : FRAME_MARK + conversationId + FRAME_MARK + json;
}

export type BusPayload =
  | { kind: 'frame'; payload: string; conversationId: ConversationId | null }
  | { kind: 'control'; message: ControlMessage };

/** Reads a payload heard on a user channel. */
export function decodeUserPayload(payload: string): BusPayload {
  if (payload.startsWith(FRAME_MARK)) {
    const end = payload.indexOf(FRAME_MARK, 1);
    return { kind: 'frame', conversationId: payload.slice(1, end), payload: payload.slice(end + 1) };
  }
  if (!payload.startsWith(CONTROL_MARK)) return { kind: 'frame', payload, conversationId: null };
  return { kind: 'control', message: JSON.parse(payload.slice(CONTROL_MARK.length)) as ControlMessage };
}

/**
 * Heard by every instance: sessions whose access tokens must now be refused
 * (the sockets of those sessions are closed by a `revoke` on the user channel).
 */
export const SESSIONS_CHANNEL = 'control:sessions-revoked';

export function sessionsRevokedPayload(sessions: readonly string[], expiresAtMs: number): string {
  return JSON.stringify({ sessions, expires_at_ms: expiresAtMs });
}

export function parseSessionsRevoked(payload: string): { sessions: string[]; expiresAtMs: number } {
  const { sessions, expires_at_ms } = JSON.parse(payload) as { sessions: string[]; expires_at_ms: number };
  return { sessions, expiresAtMs: expires_at_ms };
}
