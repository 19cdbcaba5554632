import type { Writable } from 'node:stream';

/**
 * Holds a socket's writes until the current turn of the event loop is done,
 * so that the frames it gets in one turn — acks of a batch of sends, their
 * pushes, a sync's replayed entries — leave in one `writev` instead of one
 * system call each. One `process.nextTick` per turn uncorks every socket
 * written to, after the promise callbacks of that turn have run.
 *
 * (Holding them to the loop's check phase instead, so that separate callbacks'
 * writes share a call, made the SDK's restart tests miss a live entry — not
 * diagnosed; large rooms batch across callbacks in room-batcher.ts instead.)
 */
export class WriteCoalescer {
  private readonly corked = new Set<Writable>();
  private scheduled = false;

  /** Call before writing to `socket`. */
  hold(socket: Writable): void {
    if (this.corked.has(socket)) return;
    socket.cork();
    this.corked.add(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
  }

  /** Uncorks now every socket held (a large room's batch: its cost is measured with its system calls). */
  readonly flush = (): void => {
    this.scheduled = false;
    for (const socket of this.corked) socket.uncork();
    this.corked.clear();
  };
}

/** One per process: every connection's writes of a turn go out together at its end. */
export const writeCoalescer = new WriteCoalescer();
