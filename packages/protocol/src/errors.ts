/**
 * Error codes and close codes of the Parley wire contract. Every error a client
 * can see carries one of these codes; the tables below say how each maps to an
 * HTTP status and whether a client may retry it.
 */

export const ErrorCodes = {
  /** The request body or frame failed validation. */
  validation_failed: 400,
  /**
   * A string holds characters Parley does not store: NUL or an unpaired
   * surrogate anywhere; in a display name or group title also control and
   * format characters (Unicode Cc, Cf) and line or paragraph separators.
   */
  invalid_text: 400,
  /** A WebSocket frame was not valid JSON. */
  malformed_json: 400,
  /** A WebSocket frame had an unknown `type`. */
  unknown_type: 400,
  /** No credentials, or credentials that cannot be read. */
  unauthenticated: 401,
  /** The access token is past its expiry: refresh it. */
  token_expired: 401,
  /** Username or password is wrong (never says which). */
  invalid_credentials: 401,
  /** The refresh token is unknown, expired or revoked. */
  invalid_refresh_token: 401,
  /** A rotated refresh token was presented again; its family is revoked. */
  refresh_token_reused: 401,
  /** Authenticated, but not allowed to do this. */
  forbidden: 403,
  /** The sender is muted by a server operator until `retry_after` seconds (absent: until unmuted). */
  muted: 403,
  /** The account is banned by a server operator: no sends, no logins. */
  banned: 403,
  /** Server operators only. */
  operator_only: 403,
  /** A moderation rule is malformed (bad regex, bad domain, blank word, out-of-range rate). */
  invalid_rule: 400,
  /** A moderation rule would match every message (empty pattern, `.*`, `^`, anything matching the empty text). */
  rule_matches_everything: 400,
  /** The caller already reported this message. */
  already_reported: 409,
  /** The route or entity does not exist. */
  not_found: 404,
  /** The conversation does not exist or the caller is not a member of it. */
  conversation_not_found: 404,
  /** The bot has no token with this id. */
  bot_token_not_found: 404,
  /** The incoming webhook does not exist, or was revoked. */
  webhook_not_found: 404,
  /** No event endpoint with this id (deleted, or never registered). */
  endpoint_not_found: 404,
  /**
   * An event endpoint's URL is not accepted: not an absolute https URL, has
   * credentials or a fragment, or names a loopback, private, link-local or
   * otherwise non-public address (unless INTEGRATION_ALLOW_PRIVATE_URLS=on).
   */
  invalid_endpoint_url: 400,
  /** The message named (by seq or id) is not a message of this conversation: unknown, or a system or change entry. */
  message_not_found: 404,
  /** The caller has no reaction with this emoji on this message. */
  reaction_not_found: 404,
  /** The message was deleted: it can no longer be edited, reacted to or replied to. */
  message_deleted: 410,
  /** The message is hidden by moderation: it cannot be edited or reacted to until an operator restores it. */
  message_hidden: 409,
  /** A reaction must be exactly one emoji (Unicode RGI), at most 64 bytes. */
  invalid_emoji: 400,
  /** The message has MAX_REACTION_EMOJI distinct emoji, or the caller MAX_REACTIONS_PER_MEMBER reactions on it. */
  too_many_reactions: 409,
  /** A user named in the request does not exist. */
  user_not_found: 404,
  /** The username is already registered. */
  username_taken: 409,
  /** The request conflicts with the current state. */
  conflict: 409,
  /** The group would have more than MAX_GROUP_MEMBERS members; nobody was added. */
  group_full: 409,
  /** The body is larger than the limit (for an upload: ATTACHMENT_MAX_BYTES). */
  payload_too_large: 413,
  /** The upload would take the user past their storage quota (ATTACHMENT_QUOTA_BYTES); nothing was stored. */
  quota_exceeded: 413,
  /** A message references an attachment that is not the sender's own upload to this conversation. */
  attachment_invalid: 422,
  /** The attachment is still uploading or being processed (scanned): not downloadable yet. */
  attachment_not_ready: 409,
  /** The attachment was blocked (malware, disallowed type) or could not be processed: it is gone. */
  attachment_unavailable: 410,
  /** Too many requests; `retry_after` says when to try again. */
  rate_limited: 429,
  /** An unexpected server error; nothing was changed. */
  internal: 500,
  /**
   * A dependency (the database) is unreachable, or the instance is draining
   * for a restart; nothing was changed. Send again after `retry_after`
   * seconds (after reconnecting, when draining).
   */
  unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ErrorCodes;

/** Codes after which the same request may succeed if sent again unchanged. */
export const retryableErrorCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'rate_limited',
  'internal',
  'unavailable',
]);

export function httpStatusOf(code: ErrorCode): number {
  return ErrorCodes[code];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

/** Body of every REST error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; retry_after?: number };
}

/** WebSocket close codes used by the server. */
export const CloseCodes = {
  normal: 1000,
  /** The server is shutting down or restarting: reconnect, possibly elsewhere. */
  serviceRestart: 1012,
  /** A frame exceeded the size limit. */
  frameTooLarge: 1009,
  /** The socket fell behind its send buffer: reconnect and resume by cursor. */
  slowConsumer: 4000,
  /** Unauthenticated or token expired: refresh before reconnecting. */
  unauthenticated: 4401,
  /** Forbidden. */
  forbidden: 4403,
  /** The client did not authenticate in time. */
  authTimeout: 4408,
  /** Rate limited: back off before reconnecting. */
  rateLimited: 4429,
} as const;

export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];
