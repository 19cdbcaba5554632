/**
 * The contract's plain values: limits, patterns and the subprotocol. No
 * schemas here, so a browser app that imports only these (the SDK does) never
 * bundles TypeBox or the frame schemas.
 */

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const USERNAME_PATTERN = '^[A-Za-z0-9_.-]{3,32}$';
export const MAX_TEXT_LENGTH = 16_000;
export const MAX_ATTACHMENTS = 10;

/** WebSocket subprotocol every client offers; the server selects it. */
export const SUBPROTOCOL = 'parley.v1';
/** Prefix of the subprotocol that carries an access token (browsers cannot set headers). */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';
/** Largest frame the server accepts; a larger one closes the socket with 1009. */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Longest SDP (offer or answer) a call frame may carry, in characters. A real
 * offer with trickled candidates weighs a few KiB; every device of the invitee
 * is sent the offer again while it rings, so it is kept tight.
 */
export const MAX_SDP_LENGTH = 16 * 1024;
/** Most cursors one `sync` may carry. */
export const MAX_SYNC_CURSORS = 500;

/** Most members a group may have, its creator included. */
export const MAX_GROUP_MEMBERS = 1000;
/**
 * Members a conversation view carries: the first this many by join order,
 * plus the viewer. `member_count` says how many there are; the whole list is
 * paged from `GET /conversations/:id/members`.
 */
export const MEMBER_PREVIEW = 10;
/** Most members one page of `GET /conversations/:id/members` may carry. */
export const MAX_MEMBERS_PAGE = 200;
/** Most entries one history page may carry. */
export const MAX_PAGE = 200;

/** Characters of a group's description. */
export const MAX_DESCRIPTION = 1000;

/** Most messages one conversation may have pinned at once (`too_many_pins` past it). */
export const MAX_PINS = 50;
/** Most replies one page of `GET /conversations/:id/threads/:seq` may carry. */
export const MAX_THREAD_PAGE = 200;
