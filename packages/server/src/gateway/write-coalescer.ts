import type { Writable } from 'node:stream';

/**
 * Holds a socket's writes until the event loop has run every callback that
 * was ready in this pass (timers, then the I/O poll) and reaches its check
 * phase: one `setImmediate` uncorks every socket written to. So the frames a
 * socket gets meanwhile — acks of a batch of sends, a sync's replayed
 * entries, and the pushes of every message whose commit or bus payload
 * arrived in the same poll — leave in one `writev` instead of one system call
 * each.
 *
 * Why the check phase and not the end of each callback (`process.nextTick`):
 * the fan-out to a large room is bound by that system call (about 70 % of the
 * server's CPU at 2,000 sockets), and while one message's writes are being
 * flushed the next messages' commits arrive; flushed separately they each
 * pay 2,000 system calls, flushed together they share them. When the server
 * is idle nothing waits: the check phase comes right after the callback that
 * wrote, within the same pass of the loop.
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
      setImmediate(this.flush);
    }
  }

  /** Uncorks now every socket held (a large room's batch: its cost is measured with its system calls). */
  readonly flush = (): void => {
    this.scheduled = false;
    for (const socket of this.corked) socket.uncork();
    this.corked.clear();
  };
}

/** One per process: every connection's writes of a pass of the event loop go out together at its end. */
export const writeCoalescer = new WriteCoalescer();
