import {
  BEARER_PROTOCOL_PREFIX,
  CloseCodes,
  SUBPROTOCOL,
  type ReadyFrame,
  type ServerFrame,
} from '@parley/protocol';
import { Backoff } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { ParleyError, toParleyError } from './errors.ts';
import { ClientCloseCodes, WS_OPEN, frameText, type OutgoingFrame, type WebSocketConstructor, type WebSocketLike } from './socket.ts';

/**
 * `connecting`: the client wants a socket and is opening one or waiting to
 * retry. `connected`: the server said `ready`. `disconnected`: no socket and
 * no retry planned (not started, stopped, forbidden, or waiting for a token).
 */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

/** Events of the SDK's connection state machine: state changes, the server's `ready`, frames, closes, and auth trouble. */
export interface ConnectionEvents {
  state: ConnectionState;
  ready: ReadyFrame;
  /** Every frame received, replies included, in order. */
  frame: ServerFrame;
  /** A socket ended. `opened`: the handshake had succeeded; `ready`: the server had said `ready`. */
  closed: { code: number; reason: string; opened: boolean; ready: boolean };
  reconnect_scheduled: { delayMs: number; attempt: number; code: number };
  /** 4401, or no token to offer: nothing happens until `Connection.reconnect()` after a refresh. */
  auth_required: { code: number };
  /** 4403: the server refused this client; it stays disconnected until started again. */
  stopped: { code: number; reason: string };
}

export interface ConnectionOptions {
  /** `ws://…/ws` or `wss://…/ws`. */
  url: string;
  WebSocket: WebSocketConstructor;
  /** The access token for the handshake, or null when there is none. */
  getToken: () => Promise<string | null>;
  backoff: Backoff;
  /** Least wait after a 4429 close, ms; jittered backoff is added on top (default 10 000). */
  rateLimitedDelayMs?: number;
  /** How long a request waits for its reply, and the socket for `ready`, ms (default 15 000). */
  requestTimeoutMs?: number;
  /**
   * How the token reaches the server: `subprotocol` (default) offers `bearer.<token>` in the
   * handshake; `frame` opens without credentials and sends `{type:'auth', token}` first, so a
   * refused token comes back as a 4401 close that a browser can see, not as a failed handshake.
   */
  authMode?: 'subprotocol' | 'frame';
}

interface PendingRequest {
  resolve: (frame: ServerFrame) => void;
  reject: (err: ParleyError) => void;
  timer: ReturnType<typeof setTimeout>;
}

const noop = (): void => {};

/**
 * One logical connection to the gateway over a succession of sockets: opens
 * them with the `parley.v1` and `bearer.<token>` subprotocols, waits for
 * `ready`, matches replies to requests by `id`, watches liveness with an
 * app-level ping (browsers cannot see WebSocket pings), and reconnects with
 * full-jitter backoff according to the close code.
 */
export class Connection {
  readonly events = new Emitter<ConnectionEvents>();
  private currentState: ConnectionState = 'disconnected';
  private wanted = false;
  private socket: WebSocketLike | null = null;
  private opened = false;
  /** Bumped for every open attempt, so late callbacks of an abandoned attempt do nothing. */
  private epoch = 0;
  private nextId = 1;
  private readonly pending = new Map<string, PendingRequest>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readyTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private lastReceivedAt = 0;
  private readyFrame: ReadyFrame | null = null;

  constructor(private readonly options: ConnectionOptions) {}

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The `ready` frame of the current socket, while connected. */
  get ready(): ReadyFrame | null {
    return this.readyFrame;
  }

  /** Connects, and keeps reconnecting until {@link stop}. */
  start(): void {
    this.wanted = true;
    if (!this.socket && this.retryTimer === undefined) void this.open();
  }

  /** Closes the socket (1000) and stops reconnecting. */
  stop(): void {
    this.wanted = false;
    this.epoch++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const ws = this.socket;
    this.detach();
    if (ws) {
      closeQuietly(ws, CloseCodes.normal, 'client disconnect');
      this.events.emit('closed', { code: CloseCodes.normal, reason: 'client disconnect', opened: this.opened, ready: this.readyFrame !== null });
    }
    this.readyFrame = null;
    this.setState('disconnected');
  }

  /** Reconnects now, skipping any backoff wait: after a token refresh, or when the app knows the network is back. */
  reconnect(): void {
    if (!this.wanted) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.socket) return;
    void this.open();
  }

  /** Sends a frame if connected; returns false (and sends nothing) otherwise. */
  send(frame: OutgoingFrame): boolean {
    if (this.currentState !== 'connected' || !this.socket || this.socket.readyState !== WS_OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Sends a frame with a fresh `id` and resolves with the reply echoing it, or
   * rejects with the `error` reply, `timeout`, or `disconnected`.
   */
  request(frame: OutgoingFrame, timeoutMs = this.options.requestTimeoutMs ?? 15_000): Promise<ServerFrame> {
    const id = `${this.epoch}.${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (!this.send({ ...frame, id })) {
        reject(new ParleyError('disconnected', 'not connected'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ParleyError('timeout', `no reply to ${frame.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  private async open(): Promise<void> {
    const epoch = ++this.epoch;
    this.setState('connecting');
    let token: string | null;
    try {
      token = await this.options.getToken();
    } catch {
      token = null;
    }
    if (epoch !== this.epoch || !this.wanted) return;
    if (!token) {
      this.setState('disconnected');
      this.events.emit('auth_required', { code: CloseCodes.unauthenticated });
      return;
    }
    const inFrame = this.options.authMode === 'frame';
    let ws: WebSocketLike;
    try {
      ws = new this.options.WebSocket(this.options.url, inFrame ? [SUBPROTOCOL] : [SUBPROTOCOL, BEARER_PROTOCOL_PREFIX + token]);
    } catch (err) {
      this.onClosed(ClientCloseCodes.openFailed, err instanceof Error ? err.message : 'cannot open socket');
      return;
    }
    this.socket = ws;
    this.opened = false;
    ws.onopen = () => {
      if (ws !== this.socket) return;
      this.opened = true;
      if (inFrame) ws.send(JSON.stringify({ type: 'auth', token }));
    };
    ws.onmessage = (event) => {
      if (ws === this.socket) this.onMessage(event.data);
    };
    // Every failure is followed by a close event; the handler must exist all the same (`ws` throws without one).
    ws.onerror = noop;
    ws.onclose = (event) => {
      if (ws === this.socket) this.onClosed(event.code, event.reason);
    };
    this.readyTimer = setTimeout(
      () => this.abandon(ClientCloseCodes.readyTimeout, 'no ready frame'),
      this.options.requestTimeoutMs ?? 15_000,
    );
  }

  private onMessage(data: unknown): void {
    const text = frameText(data);
    if (text === null) return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') return;
    this.lastReceivedAt = Date.now();
    if (this.pongTimer !== undefined) {
      // Anything at all proves the socket alive, not only the pong.
      clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
      this.armIdleCheck();
    }
    if (frame.type === 'ready') {
      this.onReady(frame);
      return;
    }
    if ('id' in frame && typeof frame.id === 'string') {
      const request = this.pending.get(frame.id);
      if (request) {
        this.pending.delete(frame.id);
        clearTimeout(request.timer);
        if (frame.type === 'error') request.reject(toParleyError(frame));
        else request.resolve(frame);
      }
    }
    this.events.emit('frame', frame);
  }

  private onReady(frame: ReadyFrame): void {
    clearTimeout(this.readyTimer);
    this.readyFrame = frame;
    this.options.backoff.reset();
    this.armIdleCheck();
    this.setState('connected');
    this.events.emit('ready', frame);
  }

  // App-level heartbeat: after two intervals of silence, ping; if nothing at
  // all answers within one more interval, the socket is dead (a half-open TCP
  // connection can stay "open" for many minutes otherwise).
  private armIdleCheck(): void {
    clearTimeout(this.idleTimer);
    const interval = (this.readyFrame?.heartbeat_interval ?? 30) * 1000;
    const idleLimit = 2 * interval;
    const check = (): void => {
      const silentFor = Date.now() - this.lastReceivedAt;
      if (silentFor < idleLimit) {
        this.idleTimer = setTimeout(check, idleLimit - silentFor);
        return;
      }
      this.send({ type: 'ping', id: `${this.epoch}.${this.nextId++}` });
      this.pongTimer = setTimeout(() => this.abandon(ClientCloseCodes.heartbeatTimeout, 'heartbeat timeout'), interval);
    };
    this.idleTimer = setTimeout(check, idleLimit);
  }

  /** Gives up on the current socket without waiting for a close handshake that may never come. */
  private abandon(code: number, reason: string): void {
    const ws = this.socket;
    if (!ws) return;
    closeQuietly(ws, code, reason);
    this.onClosed(code, reason);
  }

  private onClosed(code: number, reason: string): void {
    const info = { code, reason, opened: this.opened, ready: this.readyFrame !== null };
    this.detach();
    this.readyFrame = null;
    this.events.emit('closed', info);
    if (!this.wanted) {
      this.setState('disconnected');
      return;
    }
    const { backoff } = this.options;
    let delayMs: number;
    switch (code) {
      case CloseCodes.forbidden:
        this.wanted = false;
        this.setState('disconnected');
        this.events.emit('stopped', { code, reason });
        return;
      case CloseCodes.unauthenticated:
        this.setState('disconnected');
        this.events.emit('auth_required', { code });
        return;
      case CloseCodes.serviceRestart:
      case CloseCodes.slowConsumer:
        // After a working session the server asked for it (restart, or resume from cursors): come back
        // promptly, jittered within one base delay. Before `ready` it means the server is struggling
        // (it could not register the socket): back off as usual rather than hammer it.
        delayMs = info.ready ? backoff.jitter(backoff.options.baseMs) : backoff.next();
        break;
      case CloseCodes.rateLimited:
        delayMs = (this.options.rateLimitedDelayMs ?? 10_000) + backoff.next();
        break;
      default:
        delayMs = backoff.next();
    }
    this.setState('connecting');
    this.events.emit('reconnect_scheduled', { delayMs, attempt: backoff.attempts, code });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.open();
    }, delayMs);
  }

  /** Drops the socket's handlers and timers and fails its in-flight requests. */
  private detach(): void {
    const ws = this.socket;
    this.socket = null;
    if (ws) {
      ws.onopen = noop;
      ws.onmessage = noop;
      ws.onclose = noop;
    }
    clearTimeout(this.readyTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
    for (const [id, request] of this.pending) {
      clearTimeout(request.timer);
      request.reject(new ParleyError('disconnected', 'socket closed before the reply'));
      this.pending.delete(id);
    }
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.events.emit('state', state);
  }
}

function closeQuietly(ws: WebSocketLike, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closed, or closing: nothing left to do.
  }
}
