import { setTimeout as sleep } from 'node:timers/promises';

/** An overall time budget: once it expires, every wait gives up and the benchmark reports what it has. */
export class Deadline {
  private readonly endsAt: number;
  private readonly timer: NodeJS.Timeout;
  private fire!: () => void;
  /** Resolves when the budget runs out. */
  readonly expiredPromise = new Promise<void>((resolve) => (this.fire = resolve));
  expired = false;

  constructor(readonly ms: number) {
    this.endsAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.expired = true;
      this.fire();
    }, ms);
  }

  get remainingMs(): number {
    return Math.max(0, this.endsAt - Date.now());
  }

  /** Rejects with a clear message when `promise` outlives the deadline. */
  async race<T>(promise: Promise<T>, what: string): Promise<T> {
    return Promise.race([
      promise,
      this.expiredPromise.then(() => {
        throw new Error(`overall timeout (${this.ms / 1000} s) expired during ${what}`);
      }),
    ]);
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}

export type WaitOutcome = 'done' | 'stalled' | 'deadline' | 'aborted';

/**
 * Polls `done` until it holds, `progress()` has not moved for `stallMs`, the
 * deadline expires or `abort()` says there is no point waiting (the server died). Timestamps are taken by the caller as frames arrive, so
 * the poll interval does not affect what is measured.
 */
export async function waitFor(
  done: () => boolean,
  opts: { progress: () => number; stallMs: number; deadline: Deadline; abort?: () => boolean; pollMs?: number },
): Promise<WaitOutcome> {
  let last = opts.progress();
  let lastMoved = Date.now();
  for (;;) {
    if (done()) return 'done';
    if (opts.deadline.expired) return 'deadline';
    if (opts.abort?.()) return 'aborted';
    const now = Date.now();
    const p = opts.progress();
    if (p !== last) {
      last = p;
      lastMoved = now;
    } else if (now - lastMoved > opts.stallMs) {
      return 'stalled';
    }
    await sleep(opts.pollMs ?? 10);
  }
}
