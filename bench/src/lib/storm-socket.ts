import WebSocket from 'ws';
import { Histogram, nowMs } from './histogram.ts';
import type { SocketSpec } from './worker-protocol.ts';

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 500;
const CONNECT_TIMEOUT_MS = 15_000;

/** This process' storm clients: ms from the drop to `ready`, and from the first `sync` to the last `synced` page. */
export const stormLatency = { ready: new Histogram(), sync: new Histogram() };

/**
 * One client of the reconnect-storm scenario: a socket that, whenever it is
 * dropped (by the benchmark or by the server), reconnects at once and resumes
 * by cursor — `sync {cursors}` after `ready`, again with the returned cursors
 * while `synced.limited` — like the SDK does. It records every seq of its
 * conversation it receives after `base`, so that the benchmark can count what
 * was lost or received twice, and when it first held everything up to the
 * target.
 */
export class StormSocket {
  private ws: WebSocket | null = null;
  private have = new Uint8Array(256);
  private base = -1;
  private contiguous = 0;
  private lastAdvanceAt = 0;
  private target = Number.POSITIVE_INFINITY;
  private syncSeq = 0;
  private droppedAt = 0;
  private syncStartedAt = 0;
  private dropped = false;
  private closing = false;
  readyAt = 0;
  syncedAt = 0;
  completeAt = 0;
  duplicates = 0;
  syncPages = 0;
  retries = 0;
  closedByPeer = 0;
  errorFrames = 0;
  pushesBeforeReady = 0;
  lastError = '';

  constructor(private readonly spec: SocketSpec & { conv: string; token: string }) {}

  get conv(): string {
    return this.spec.conv;
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** First connection: resolves on `ready`, rejects on failure (no retry). */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => this.attempt(resolve, reject));
  }

  setBase(base: number): void {
    this.base = base;
    this.contiguous = base;
  }

  setTarget(target: number): void {
    this.target = target;
    if (this.contiguous >= target && !this.completeAt) this.completeAt = this.lastAdvanceAt;
  }

  /** Seqs in (base, target] this client never received. */
  lost(): number {
    if (!Number.isFinite(this.target) || this.base < 0) return 0;
    let missing = 0;
    for (let s = this.base + 1; s <= this.target; s++) if (!this.have[s - this.base - 1]) missing++;
    return missing;
  }

  /** The storm: terminate the TCP connection and reconnect immediately, resuming by cursor. */
  drop(jitterMs = 0): void {
    this.dropped = true;
    this.droppedAt = nowMs();
    this.readyAt = this.syncedAt = 0;
    const old = this.ws;
    this.ws = null;
    old?.removeAllListeners();
    old?.on('error', () => {});
    old?.terminate();
    if (jitterMs > 0) setTimeout(() => this.reconnect(), Math.random() * jitterMs);
    else this.reconnect();
  }

  close(): void {
    this.closing = true;
    this.ws?.close(1000, 'bench done');
  }

  private reconnect(): void {
    if (this.closing) return;
    this.attempt(
      () => {},
      () => {
        this.retries++;
        setTimeout(() => this.reconnect(), RETRY_MIN_MS + Math.random() * (RETRY_MAX_MS - RETRY_MIN_MS));
      },
    );
  }

  private attempt(resolve: () => void, reject: (err: Error) => void): void {
    const ws = new WebSocket(this.spec.url, ['parley.v1', `bearer.${this.spec.token}`], {
      perMessageDeflate: false,
      localAddress: this.spec.localAddress,
    });
    this.ws = ws;
    let ready = false;
    const fail = (why: string) => {
      if (ready) return;
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      this.lastError = why;
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail('no ready in time'), CONNECT_TIMEOUT_MS);
    ws.on('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode}`));
    ws.on('error', (err) => fail(err.message));
    ws.on('close', (code) => {
      if (!ready) return fail(`closed ${code} before ready`);
      if (this.closing || this.ws !== ws) return;
      this.closedByPeer++;
      this.lastError = `closed by server ${code}`;
      this.readyAt = this.syncedAt = 0;
      this.reconnect();
    });
    ws.on('message', (data) => {
      const at = nowMs();
      const frame = JSON.parse(data.toString()) as { type: string; [k: string]: unknown };
      if (!ready) {
        if (frame.type === 'message') {
          // The server joined this socket's channels before sending `ready`: keep the push, count the oddity.
          this.pushesBeforeReady++;
          return this.onFrame(frame, at);
        }
        if (frame.type !== 'ready') return fail(`expected ready, got ${frame.type}`);
        ready = true;
        clearTimeout(timer);
        if (this.dropped) {
          this.readyAt = at;
          stormLatency.ready.record(at - this.droppedAt);
          this.syncStartedAt = nowMs();
          this.sync({ [this.spec.conv]: this.contiguous });
        }
        return resolve();
      }
      this.onFrame(frame, at);
    });
  }

  private sync(cursors: Record<string, number>): void {
    this.syncPages++;
    this.ws?.send(JSON.stringify({ type: 'sync', id: `s${++this.syncSeq}`, cursors }));
  }

  private onFrame(frame: { type: string; [k: string]: unknown }, at: number): void {
    if (frame.type === 'message') {
      if (frame.conversation_id === this.spec.conv) this.onSeq(frame.seq as number, at);
    } else if (frame.type === 'synced') {
      if (frame.id !== `s${this.syncSeq}`) return;
      if (frame.limited) this.sync(frame.cursors as Record<string, number>);
      else {
        this.syncedAt = at;
        stormLatency.sync.record(at - this.syncStartedAt);
      }
    } else if (frame.type === 'error') {
      this.errorFrames++;
      this.lastError = JSON.stringify(frame).slice(0, 300);
    }
  }

  private onSeq(seq: number, at: number): void {
    if (this.base < 0 || seq <= this.base) return;
    const i = seq - this.base - 1;
    if (i >= this.have.length) {
      const bigger = new Uint8Array(Math.max(i + 1, this.have.length * 2));
      bigger.set(this.have);
      this.have = bigger;
    }
    if (this.have[i]) {
      this.duplicates++;
      return;
    }
    this.have[i] = 1;
    const before = this.contiguous;
    while (this.contiguous - this.base < this.have.length && this.have[this.contiguous - this.base]) this.contiguous++;
    if (this.contiguous > before) this.lastAdvanceAt = at;
    if (!this.completeAt && this.contiguous >= this.target) this.completeAt = at;
  }
}
