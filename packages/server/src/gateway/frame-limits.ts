import { CALL_FRAME_TYPES, type ClientFrame, type ClientFrameType } from '@parley/protocol';
import type { Config, LimitName } from '../config.ts';
import { AppError } from '../errors.ts';
import { MemoryRateLimiter, type RateLimiter } from '../limits/rate-limiter.ts';
import type { Connection } from './connection.ts';

/** Which per-user limit each frame type counts against (shared across instances). */
const USER_LIMITS: Partial<Record<ClientFrameType, LimitName>> = {
  send_message: 'messages',
  // Edits, deletes and reactions are writes to the log like sends, under the same budget.
  edit_message: 'messages',
  delete_message: 'messages',
  react_message: 'messages',
  // Pins and thread read marks too (#15).
  pin_message: 'messages',
  thread_read: 'messages',
  typing: 'typing',
  presence_subscribe: 'presence',
  presence_unsubscribe: 'presence',
  sync: 'sync',
  ...Object.fromEntries(CALL_FRAME_TYPES.map((type) => [type, 'calls' as const])),
};

/** What a frame counts for against its per-user limit: a `sync` costs what it asks for, one per cursor. */
const costOf = (frame: ClientFrame): number => (frame.type === 'sync' ? Object.keys(frame.cursors).length : 1);

/** Rejected frames a socket may send in a burst (then one per second) before it is closed with 4429. */
const STRIKES = { rate: 1, burst: 20 };

/**
 * Frame limits: every frame counts against its socket's bucket (kept by this
 * instance), and messages, typing, presence, calls and syncs also against the
 * user's (shared through Redis when configured).
 */
export class FrameLimits {
  private readonly local = new MemoryRateLimiter();

  constructor(
    private readonly shared: RateLimiter,
    private readonly limits: Config['limits'],
  ) {}

  /** Throws `rate_limited` (with `retry_after`) when the frame is over a limit. */
  async check(conn: Connection, frame: ClientFrame): Promise<void> {
    let wait = this.local.takeSync(`frames:${conn.id}`, this.limits.frames);
    const name = USER_LIMITS[frame.type];
    if (wait === 0 && name) {
      const key = `${name}:${conn.userId}`;
      // A sync's database work dwarfs a round trip to Redis, and its cost can be a quarter of the budget: counted exactly.
      // Every other frame is cheap and counts one: admitted on this instance's view of the shared bucket (RateLimiter.admit).
      wait = await (frame.type === 'sync' ? this.shared.take(key, this.limits[name], costOf(frame)) : this.shared.admit(key, this.limits[name]));
    }
    if (wait > 0) throw new AppError('rate_limited', `too many ${name ?? 'frames'}; slow down`, { retryAfter: wait });
  }

  /** Records a rejected frame; true when the socket has been rejected too often and should be closed. */
  strike(conn: Connection): boolean {
    return this.local.takeSync(`strikes:${conn.id}`, STRIKES) > 0;
  }

  forget(conn: Connection): void {
    this.local.forget(`frames:${conn.id}`);
    this.local.forget(`strikes:${conn.id}`);
  }
}
