/**
 * Control payloads between instances, on a user's channel. They start with a
 * `_` type, are consumed by the hub, and never reach a client.
 */
export const REVOKE_PREFIX = '{"type":"_revoke"';

/** Ends the sockets of one session of the user, or of all sessions when `sessionId` is null. */
export function revokePayload(sessionId: string | null): string {
  return JSON.stringify({ type: '_revoke', session_id: sessionId });
}

export function parseRevoke(payload: string): { sessionId: string | null } {
  const { session_id } = JSON.parse(payload) as { session_id: string | null };
  return { sessionId: session_id };
}

export const UNWATCH_PREFIX = '{"type":"_unwatch"';

/**
 * The user's sockets stop hearing these users' presence: they no longer share
 * a conversation (a subscription is checked only when it is made).
 */
export function unwatchPayload(userIds: readonly string[]): string {
  return JSON.stringify({ type: '_unwatch', user_ids: userIds });
}

export function parseUnwatch(payload: string): { userIds: string[] } {
  const { user_ids } = JSON.parse(payload) as { user_ids: string[] };
  return { userIds: user_ids };
}

/**
 * Heard by every instance: sessions whose access tokens must now be refused
 * (the sockets of those sessions are closed by `_revoke` on the user channel).
 */
export const SESSIONS_CHANNEL = 'control:sessions-revoked';

export function sessionsRevokedPayload(sessions: readonly string[], expiresAtMs: number): string {
  return JSON.stringify({ sessions, expires_at_ms: expiresAtMs });
}

export function parseSessionsRevoked(payload: string): { sessions: string[]; expiresAtMs: number } {
  const { sessions, expires_at_ms } = JSON.parse(payload) as { sessions: string[]; expires_at_ms: number };
  return { sessions, expiresAtMs: expires_at_ms };
}
