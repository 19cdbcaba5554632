import type { PreparedFrame } from './prepared-frame.ts';

/** The longest a large room's frame waits for others to share its writes, ms. */
export const MAX_BATCH_WAIT_MS = 25;

/**
 * The frames of one large room's channel on this instance, written to the
 * channel's sockets in batches: each socket gets, in one write, every frame
 * that arrived since the last batch, in arrival order.
 *
 * Why: writing to a socket costs a system call whatever it carries, and at
 * 2,000 sockets those calls were ~70 % of the server's CPU (the bare `ws`
 * broadcast server pays the same per frame). So after a batch the next one
 * waits as long as the last one took to write (its cost, measured): a room
 * whose writes keep the server busy spends at most about half of its time on
 * them, and frames that arrive meanwhile share the next batch's calls. A
 * quiet room waits for nothing: a frame arriving longer than that after the
 * last batch is written in the same pass of the event loop. The wait is
 * bounded by MAX_BATCH_WAIT_MS.
 */
export class RoomBatcher {
  private pending: PreparedFrame[] = [];
  /** Per pending frame: what `add` was given to hand back when it is written (e.g. a message's created_at). */
  private stamps: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  /** performance.now() before which the next batch waits. */
  private notBefore = 0;

  constructor(
    /** Writes `frames` (one or more frames, concatenated) to every socket of the channel, and flushes them; `stamps` are their `add` stamps, in order. */
    private readonly writeAll: (frames: PreparedFrame, stamps: readonly number[]) => void,
  ) {}

  add(frame: PreparedFrame, stamp = Number.NaN): void {
    this.pending.push(frame);
    this.stamps.push(stamp);
    if (this.timer || this.immediate) return;
    const wait = this.notBefore - performance.now();
    if (wait > 0) this.timer = setTimeout(this.flush, Math.min(wait, MAX_BATCH_WAIT_MS));
    else this.immediate = setImmediate(this.flush);
  }

  /** Writes what is pending now (also called before the channel's sockets change, so a socket gets exactly the frames published while it was there). */
  readonly flush = (): void => {
    clearTimeout(this.timer ?? undefined);
    clearImmediate(this.immediate ?? undefined);
    this.timer = this.immediate = null;
    const frames = this.pending;
    if (frames.length === 0) return;
    const stamps = this.stamps;
    this.pending = [];
    this.stamps = [];
    const start = performance.now();
    this.writeAll(frames.length === 1 ? frames[0]! : (Buffer.concat(frames) as PreparedFrame), stamps);
    const end = performance.now();
    this.notBefore = end + (end - start);
  };

  get pendingCount(): number {
    return this.pending.length;
  }
}
