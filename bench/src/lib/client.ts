import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { ClientFrame, ServerFrame } from '@parley/protocol';

const SUBPROTOCOL = 'parley.v1';
const BEARER_PREFIX = 'bearer.';

/** Called for every server frame with the time (performance.now(), ms) it was received. */
export type FrameHandler = (frame: ServerFrame, receivedAt: number) => void;

export interface CloseInfo {
  code: number;
  reason: string;
  /** True when the benchmark closed the socket itself. */
  expected: boolean;
}

/**
 * One authenticated WebSocket, kept deliberately thin: the benchmark owns all
 * bookkeeping. Frames are parsed as they arrive and the receive timestamp is
 * taken before anything else happens.
 */
export class BenchClient {
  private handler: FrameHandler = () => {};
  private closing = false;
  closeInfo: CloseInfo | null = null;

  private constructor(
    private readonly ws: WebSocket,
    readonly userId: string,
  ) {
    ws.on('message', (data, isBinary) => {
      const receivedAt = performance.now();
      if (isBinary) return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(data.toString()) as ServerFrame;
      } catch {
        return;
      }
      this.handler(frame, receivedAt);
    });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString(), expected: this.closing };
    });
    ws.on('error', () => {}); // 'close' follows and records what happened
  }

  /** Opens the socket and resolves once the server's `ready` frame has arrived. */
  static connect(wsUrl: string, token: string, timeoutMs = 15_000): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, [SUBPROTOCOL, `${BEARER_PREFIX}${token}`], { perMessageDeflate: false });
      const fail = (err: Error) => {
        clearTimeout(timer);
        ws.terminate();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`no ready frame within ${timeoutMs} ms`)), timeoutMs);
      ws.once('unexpected-response', (_req, res) => fail(new Error(`handshake refused: HTTP ${res.statusCode}`)));
      ws.once('error', fail);
      ws.once('close', (code, reason) => fail(new Error(`closed before ready: ${code} ${reason.toString()}`)));
      ws.once('message', (data) => {
        let frame: ServerFrame;
        try {
          frame = JSON.parse(data.toString()) as ServerFrame;
        } catch {
          return fail(new Error('first frame is not JSON'));
        }
        if (frame.type !== 'ready') return fail(new Error(`expected ready, got ${JSON.stringify(frame).slice(0, 200)}`));
        clearTimeout(timer);
        ws.removeAllListeners();
        resolve(new BenchClient(ws, frame.user_id));
      });
    });
  }

  onFrame(handler: FrameHandler): void {
    this.handler = handler;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes queued locally and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(frame: ClientFrame): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Closes with 1000 and resolves when the close handshake is done (or after `timeoutMs`). */
  close(timeoutMs = 2000): Promise<void> {
    this.closing = true;
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, timeoutMs);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close(1000, 'bench done');
    });
  }
}
