import type { ClientFrame, PresenceSubscribeFrame } from '@parley/protocol';

// Event handlers are declared bivariant (the same trick React's typings use),
// so both the DOM WebSocket and the `ws` package's class, whose event objects
// carry more than the SDK reads, fit `WebSocketConstructor` without a cast.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The part of a WebSocket the SDK uses: the browser's `WebSocket` and Node's `ws` both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
}

/**
 * A WebSocket class: `globalThis.WebSocket` in browsers and Node 22+ by
 * default; another (the `ws` package's, say) can be passed in its place.
 *
 * @example
 * ```ts
 * import { WebSocket } from 'ws';
 * const client = new ParleyClient({ url, WebSocket });
 * ```
 */
export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

/** `WebSocket.OPEN` in every implementation. */
export const WS_OPEN = 1;

/**
 * Hands a live socket the renewed access token, so a server that closes
 * sockets when their token expires (4401) keeps this one open.
 */
export interface SocketAuthFrame {
  type: 'auth';
  id?: string;
  token: string;
}

/** Every frame the SDK sends: the protocol's client frames, `presence_subscribe` and `auth`. */
export type OutgoingFrame = ClientFrame | PresenceSubscribeFrame | SocketAuthFrame;

/**
 * Close codes the SDK reports for sockets it gave up on itself. 3000–3999 is
 * the range registered for libraries, so they never collide with the
 * server's 4xxx codes from `CloseCodes`.
 */
export const ClientCloseCodes = {
  /** Nothing came back, not even a `pong`, for two heartbeat intervals and a ping. */
  heartbeatTimeout: 3000,
  /** The socket opened but `ready` did not arrive in time. */
  readyTimeout: 3001,
  /** The socket could not even be created (bad URL, no WebSocket implementation). */
  openFailed: 3002,
} as const;

/** Frame text as the socket delivered it: a string in browsers, a string or Buffer from `ws`. */
export function frameText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return null;
}
