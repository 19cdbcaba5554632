import type { AttachmentView, ConversationId, ReadyFrame, UserId, UserView } from '@parley/protocol';
import type { ConnectionEvents, ConnectionOptions, ConnectionState } from './connection.ts';
import type { StoreEvents } from './conversation-store.ts';
import type { ParleyError } from './errors.ts';
import type { OutboxEvent } from './outbox.ts';
import type { OutboxStore } from './outbox-stores/outbox-store.ts';
import type { UploadStore } from './upload-stores/upload-store.ts';
import type { CursorStore } from './cursor-stores/cursor-store.ts';
import type { StartFrom } from './cursor-keeper.ts';
import type { PresenceInfo } from './presence.ts';
import type { FetchLike } from './rest.ts';
import type { LogoutReason, SessionData } from './session.ts';
import type { WebSocketConstructor } from './socket.ts';

export interface ParleyClientOptions {
  /** Server base URL, e.g. `https://chat.example.com`: REST under `/api/v1`, the socket at `/ws`. */
  url: string;
  /** The socket URL when it is not `url` with `ws(s)://` and `/ws`. */
  wsUrl?: string;
  /** Defaults to `globalThis.WebSocket` (browsers, Node 22+); pass another, such as the `ws` package's, to replace it. */
  WebSocket?: WebSocketConstructor;
  /** Defaults to `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Where unacknowledged messages are kept; defaults to memory (lost on reload). */
  outbox?: OutboxStore;
  /**
   * Where the files that queued messages wait for are kept (`send(…, { uploads })`) until the server has
   * every byte; defaults to memory (a reload loses them, and their messages fail). Browsers: `IndexedDbUploadStore`.
   */
  uploads?: UploadStore;
  /**
   * Where the client saves, per conversation, how far the app has been handed entries (`entry` events),
   * so that after a restart it receives what it missed, in order, once. Default: none (a restart starts
   * every conversation at its newest entry). See {@link CursorStore} for the rule.
   */
  cursors?: CursorStore;
  /**
   * Where conversations start: `'saved'` (default) from the cursor store's cursors, `'latest'` at each
   * conversation's newest entry (what happened while the client was away is not replayed), or a map of
   * conversation id → seq (the entries after that seq are replayed). Conversations without a start begin
   * at their newest entry.
   */
  startFrom?: StartFrom;
  /** A session saved from an earlier `session` event, to resume without logging in. */
  session?: SessionData | null;
  reconnect?: {
    /** Ceiling of the first retry delay, ms (default 500). */
    baseMs?: number;
    /** Largest retry delay, ms (default 30 000). */
    capMs?: number;
    /** Least wait after the server closed with 4429, ms (default 10 000). */
    rateLimitedDelayMs?: number;
  };
  /** Source of randomness in [0, 1) for every jitter (default `Math.random`). */
  random?: () => number;
  /** Generates `client_msg_id`s (default `crypto.randomUUID`). */
  randomUUID?: () => string;
  /**
   * WebRTC for calls: default the browser's `RTCPeerConnection` and
   * `navigator.mediaDevices`. `iceTransportPolicy: 'relay'` forces TURN.
   */
  rtc?: {
    RTCPeerConnection?: typeof RTCPeerConnection;
    mediaDevices?: Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'>;
    iceTransportPolicy?: RTCIceTransportPolicy;
  };
  /** How long a request waits for its reply, ms (default 15 000). */
  requestTimeoutMs?: number;
  /** `subprotocol` (default): the token rides the handshake; `frame`: it is the first frame (see `ConnectionOptions.authMode`). */
  authMode?: 'subprotocol' | 'frame';
  /** Most time before expiry at which the access token is renewed, ms (default 60 000). */
  refreshMarginMs?: number;
  /** Window over which `delivered` receipts are coalesced, ms (default 250). */
  deliveredDelayMs?: number;
  /** Least time between two `typing start` frames of one conversation, ms (default 3000). */
  typingThrottleMs?: number;
  /** How long a gap may stay open before history is asked for it, ms (default 200). */
  gapFillDelayMs?: number;
  /** Entries per `loadOlder` page (default 50). */
  historyPageSize?: number;
}

/** Events of {@link ParleyClient}, by name. */
export interface ParleyClientEvents extends StoreEvents {
  state: ConnectionState;
  ready: ReadyFrame;
  closed: ConnectionEvents['closed'];
  reconnect_scheduled: ConnectionEvents['reconnect_scheduled'];
  /** The server refused this client (4403): it stays disconnected until `connect()`. */
  stopped: ConnectionEvents['stopped'];
  /** The tokens changed, or were cleared (null): persist this to stay logged in. */
  session: SessionData | null;
  logged_out: { reason: LogoutReason };
  outbox: OutboxEvent;
  /** Users fetched by `loadUsers` (people named in a history who are no longer members). */
  users: UserView[];
  typing: { conversationId: ConversationId; userIds: UserId[] };
  presence: PresenceInfo;
  /** An attachment's processing status changed (`pending` → `clean` | `blocked` | `failed`). */
  attachment: AttachmentView;
  /** Something failed in the background; the client carries on. */
  error: ParleyError;
}

/** `http(s)://host/base` → `ws(s)://host/base/ws`. */
export function toWsUrl(base: string): string {
  const url = new URL(base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = url.pathname.replace(/\/+$/, '') + '/ws';
  url.search = '';
  return url.toString();
}
