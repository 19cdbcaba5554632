import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { writeCoalescer } from './write-coalescer.ts';
import { CloseCodes, type ServerFrame, type UserId } from '@parley/protocol';
import type { TokenScope } from '../auth/access-tokens.ts';
import { pushAllowed } from '../bots/scope.ts';

/** A serialised frame: a string, or its UTF-8 bytes when many sockets get the same frame. */
export type Payload = string | Buffer;

/**
 * One authenticated socket. Capabilities never see it: the gateway writes
 * replies to it and the hub writes fan-out payloads to it.
 */
export class Connection {
  readonly id = crypto.randomUUID();
  /** Cleared at each heartbeat, set by the pong; a socket still clear at the next beat is dead. */
  alive = true;
  /** Bus channels this socket hears (kept by the hub). */
  readonly channels = new Set<string>();
  /** Sends handed to the writer and not yet acked (the gateway pipelines them). */
  readonly sendsInFlight = new Set<Promise<void>>();
  /**
   * The TCP socket under `ws`, corked while a turn's frames are written.
   * (`_socket` is ws' own field, not public API; it has been there since ws 1.)
   */
  private readonly socket: Duplex | undefined;
  /** Pushes that arrived before `ready` was written: the client sees `ready` first. */
  private early: Payload[] | null = [];
  /** A bot token's scope: pushes outside it are dropped, frames outside it refused (bots/scope.ts). */
  scope: TokenScope | null = null;
  /** The close code the server closed this socket with (null: open, or closed by the client or the network). */
  private closedWith: number | null = null;

  constructor(
    private readonly ws: WebSocket,
    readonly userId: UserId,
    /** The login session the socket's token belongs to (logout ends it). */
    public sessionId: string,
    /** Epoch seconds when the socket's access token expires (an `auth` frame moves it). */
    public expiresAt: number,
    /** Client address, for per-address limits and audit. */
    readonly ip: string,
    private readonly maxBufferedBytes: number,
  ) {
    this.socket = (ws as unknown as { _socket?: Duplex })._socket;
  }

  get closed(): boolean {
    return this.ws.readyState === this.ws.CLOSING || this.ws.readyState === this.ws.CLOSED;
  }

  /** Writes an already-serialised frame. A socket too far behind is closed and told to resume. */
  send(payload: Payload): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.close(CloseCodes.slowConsumer, 'slow consumer: resume from your cursors');
      return;
    }
    if (this.socket) writeCoalescer.hold(this.socket);
    // A Buffer goes out as a text frame without being copied or encoded again.
    if (typeof payload === 'string') this.ws.send(payload);
    else this.ws.send(payload, { binary: false });
  }

  /** A fan-out payload from the hub: held until `ready` has been written, then in order. */
  push(payload: Payload): void {
    if (this.scope && !pushAllowed(this.scope, payload)) return;
    if (this.early) this.early.push(payload);
    else this.send(payload);
  }

  /** Writes `ready`, then whatever was pushed before it. */
  sendReady(frame: ServerFrame): void {
    this.sendFrame(frame);
    const early = this.early ?? [];
    this.early = null;
    for (const payload of early) this.send(payload);
  }

  sendFrame(frame: ServerFrame): void {
    this.send(JSON.stringify(frame));
  }

  get serverCloseCode(): number | null {
    return this.closedWith;
  }

  close(code: number, reason: string): void {
    // A socket paused for backpressure could not complete the closing handshake.
    this.ws.resume();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.closedWith ??= code;
      this.ws.close(code, reason);
    }
  }

  ping(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  terminate(): void {
    this.ws.terminate();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }
}
