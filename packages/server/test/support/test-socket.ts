import WebSocket from 'ws';
import type { ServerFrame } from '@parley/protocol';

type Frame = ServerFrame & Record<string, unknown>;

/**
 * A WebSocket client for tests: it records every frame, and lets a test wait
 * for a frame matching a predicate or for the reply to a request by its id.
 */
export class TestSocket {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  closeReason = '';
  private waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void; timer: NodeJS.Timeout }> = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      // The protocol speaks JSON text frames only (fan-out writes shared bytes: they must still be text).
      if (isBinary) throw new Error(`server sent a binary frame: ${data.toString().slice(0, 80)}`);
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    ws.on('error', () => {});
  }

  /** Connects with the token in the `bearer.` subprotocol and waits for `ready`. */
  static async open(wsUrl: string, token: string, options: { protocols?: string[] } = {}): Promise<TestSocket> {
    const ws = new WebSocket(wsUrl, options.protocols ?? ['parley.v1', `bearer.${token}`]);
    const socket = new TestSocket(ws);
    const ready = socket.next((f) => f.type === 'ready');
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        ws.once('error', reject);
      });
    } catch (error) {
      // Refused: no ready frame will come, so nothing may wait for one (its timeout would reject unobserved, later, in another test).
      socket.abandonWaiters();
      throw error;
    }
    await ready;
    return socket;
  }

  /** Resolves with the first frame (already received or future) matching `match`. */
  next(match: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return this.waitFor(match, timeoutMs);
  }

  /** Resolves with the first future frame matching `match`. */
  waitFor(match: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        timer,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Stops every pending wait without settling it, timers included. */
  private abandonWaiters(): void {
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
  }

  /** Sends a request with a fresh id and resolves with the reply that echoes it. */
  async request(frame: Record<string, unknown>, timeoutMs?: number): Promise<Frame> {
    const id = `r${this.nextId++}`;
    const reply = this.waitFor((f) => f.id === id && f.type !== 'message', timeoutMs);
    this.ws.send(JSON.stringify({ ...frame, id }));
    return reply;
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  messages(conversationId?: string): Frame[] {
    return this.frames.filter((f) => f.type === 'message' && (!conversationId || f.conversation_id === conversationId));
  }

  async closed(timeoutMs = 10_000): Promise<number> {
    if (this.closeCode !== null) return this.closeCode;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}
