import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { writeCoalescer } from './write-coalescer.ts';
import { CloseCodes, type ServerFrame, type UserId } from '@parley/protocol';
import type { TokenScope } from '../auth/access-tokens.ts';
import { pushAllowed, type PushSubject } from '../bots/scope.ts';
import type { PreparedFrame } from './prepared-frame.ts';

// Frames of one socket are handled in order; past this many waiting, the
// socket stops being read until the queue drains (TCP pushes back on the client).
const MAX_QUEUED_FRAMES = 64;
/** Sends of one socket awaiting their commit before the socket's next send waits. */
const MAX_PIPELINED_SENDS = 64;

/**
 * One authenticated socket and everything the server keeps about it: its
 * auth (session, token expiry), the bus channels it hears, the queue its
 * frames are handled in, and its pipelined sends. Capabilities never see it:
 * the gateway's handlers write replies to it and the hub writes fan-out
 * payloads to it.
 */
export class Connection {
  readonly id = crypto.randomUUID();
  /** Cleared at each heartbeat, set by the pong; a socket still clear at the next beat is dead. */
  alive = true;
  /** Bus channels this socket hears (kept by the hub). */
  readonly channels = new Set<string>();
  /**
   * Pipelined jobs (sends) started and not yet finished: their acks follow their commits.
   * This and the frame queue below exist only while there is something in them: most
   * sockets are idle most of the time, and each costs heap per connection (#17).
   */
  private pipelined: Set<Promise<void>> | null = null;
  /** The tail of the frame queue, a frame's job starting when the one before it is done; null when empty. */
  private queue: Promise<void> | null = null;
  /** Frames are handled only after `ready`: until then (`handling` false) the queue waits on this gate. */
  private handling = false;
  private openQueue: (() => void) | null = null;
  private queued = 0;
  /**
   * The TCP socket under `ws`, corked while a turn's frames are written.
   * (`_socket` is ws' own field, not public API; it has been there since ws 1.)
   */
  private readonly socket: Duplex | undefined;
  /** Pushes that arrived before `ready` was written: the client sees `ready` first. */
  private early: PreparedFrame[] | null = [];
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

  /**
   * Queues the handling of one frame: jobs run one at a time in arrival
   * order, the first once the queue is opened (after `ready`). Resolves when
   * this job is done (never rejects: a job answers its own errors).
   */
  enqueue(job: () => Promise<void>): Promise<void> {
    if (++this.queued > MAX_QUEUED_FRAMES) this.pause();
    this.queue ??= this.handling ? Promise.resolve() : new Promise<void>((resolve) => (this.openQueue = resolve));
    const done: Promise<void> = this.queue.then(job).finally(() => {
      if (--this.queued <= MAX_QUEUED_FRAMES) this.resume();
      // The last job done: let the chain go (the next frame starts a new one; order holds, this job is over).
      if (this.queue === done) this.queue = null;
    });
    this.queue = done;
    return done;
  }

  /** Starts handling queued frames (after `ready`, or to drain them when the socket could not be set up). */
  startHandling(): void {
    this.handling = true;
    this.openQueue?.();
    this.openQueue = null;
  }

  /**
   * Starts a job without holding up the frames behind it (a send, once handed
   * to the writer, which keeps arrival order: its ack follows the commit).
   * Waits first while MAX_PIPELINED_SENDS jobs of this socket are unfinished.
   * Resolves once the job started, to its completion (wrapped: awaiting a
   * bare promise would wait for the job itself).
   */
  async pipeline(job: () => Promise<void>): Promise<{ done: Promise<void> }> {
    while (this.pipelined && this.pipelined.size >= MAX_PIPELINED_SENDS) await Promise.race(this.pipelined);
    const done = job();
    const pipelined = (this.pipelined ??= new Set());
    // Counted until settled either way; a failed job is answered by whoever awaits `done`.
    const forget = () => {
      pipelined.delete(settled);
      if (pipelined.size === 0 && this.pipelined === pipelined) this.pipelined = null;
    };
    const settled: Promise<void> = done.then(forget, forget);
    pipelined.add(settled);
    return { done };
  }

  get closed(): boolean {
    return this.ws.readyState === this.ws.CLOSING || this.ws.readyState === this.ws.CLOSED;
  }

  /** Writes an already-serialised frame. A socket too far behind is closed and told to resume. */
  send(payload: string): void {
    if (!this.writable()) return;
    if (this.socket) writeCoalescer.hold(this.socket);
    this.ws.send(payload);
  }

  /** Whether the socket can take a write now; a socket too far behind is closed and told to resume. */
  private writable(): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    if (this.ws.bufferedAmount <= this.maxBufferedBytes) return true;
    this.close(CloseCodes.slowConsumer, 'slow consumer: resume from your cursors');
    return false;
  }

  /** Writes a frame the hub framed once for all its sockets (prepared-frame.ts), as it is. */
  private write(frame: PreparedFrame): void {
    if (!this.writable() || !this.socket) return;
    writeCoalescer.hold(this.socket);
    this.socket.write(frame);
  }

  /** A fan-out frame from the hub, about `subject`: held until `ready` has been written, then in order. */
  push(frame: PreparedFrame, subject: PushSubject): void {
    if (this.scope && !pushAllowed(this.scope, subject)) return;
    if (this.early) this.early.push(frame);
    else this.write(frame);
  }

  /** Writes `ready`, then whatever was pushed before it, and starts handling the client's frames. */
  sendReady(frame: ServerFrame): void {
    this.sendFrame(frame);
    const early = this.early ?? [];
    this.early = null;
    for (const f of early) this.write(f);
    this.startHandling();
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
