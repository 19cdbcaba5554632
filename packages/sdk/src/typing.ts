import type { ConversationId, TypingPushFrame, UserId } from '@parley/protocol';
import { Emitter } from './emitter.ts';
import type { OutgoingFrame } from './socket.ts';

export interface TypingEvents {
  /** Who is typing in a conversation now (never this user). */
  typing: { conversationId: ConversationId; userIds: UserId[] };
}

export interface TypingOptions {
  transport: { send(frame: OutgoingFrame): boolean };
  /** Least time between two `start` frames of one conversation, ms (default 3000). */
  throttleMs?: number;
  now?: () => number;
}

/**
 * Typing indicators both ways. Outgoing: `set(id, true)` on every keystroke
 * sends `start` at most once per throttle window, `set(id, false)` sends one
 * `stop`. Incoming: a `start` lasts `expires_in` seconds unless refreshed, so
 * a typer whose `stop` was lost (or whose device died) disappears by itself;
 * a message from a typer ends their typing too.
 */
export class Typing {
  readonly events = new Emitter<TypingEvents>();
  private readonly lastStart = new Map<ConversationId, number>();
  private readonly typers = new Map<ConversationId, Map<UserId, ReturnType<typeof setTimeout>>>();
  private readonly now: () => number;

  constructor(private readonly options: TypingOptions) {
    this.now = options.now ?? Date.now;
  }

  set(id: ConversationId, typing: boolean): void {
    const last = this.lastStart.get(id);
    if (typing) {
      if (last !== undefined && this.now() - last < (this.options.throttleMs ?? 3000)) return;
      // Offline, nothing is recorded: the next keystroke once connected sends `start`.
      if (this.options.transport.send({ type: 'typing', conversation_id: id, state: 'start' })) {
        this.lastStart.set(id, this.now());
      }
      return;
    }
    if (last === undefined) return;
    this.lastStart.delete(id);
    this.options.transport.send({ type: 'typing', conversation_id: id, state: 'stop' });
  }

  /** Users typing in the conversation, in the order they started. */
  users(id: ConversationId): UserId[] {
    return [...(this.typers.get(id)?.keys() ?? [])];
  }

  onFrame(frame: TypingPushFrame, me: UserId | null): void {
    // In a large room the server relays typing on the room channel, so this user's own come back too.
    if (frame.user_id === me) return;
    if (frame.state === 'stop') {
      this.remove(frame.conversation_id, frame.user_id);
      return;
    }
    let typers = this.typers.get(frame.conversation_id);
    if (!typers) this.typers.set(frame.conversation_id, (typers = new Map()));
    const known = typers.get(frame.user_id);
    clearTimeout(known);
    typers.set(
      frame.user_id,
      setTimeout(() => this.remove(frame.conversation_id, frame.user_id), Math.max(frame.expires_in, 0) * 1000),
    );
    if (known === undefined) this.emit(frame.conversation_id);
  }

  /** Ends a user's typing (their message arrived). */
  remove(id: ConversationId, userId: UserId): void {
    const typers = this.typers.get(id);
    const timer = typers?.get(userId);
    if (!typers || timer === undefined) return;
    clearTimeout(timer);
    typers.delete(userId);
    if (typers.size === 0) this.typers.delete(id);
    this.emit(id);
  }

  /** Drops everything about a conversation (it was removed). */
  forget(id: ConversationId): void {
    for (const timer of this.typers.get(id)?.values() ?? []) clearTimeout(timer);
    this.typers.delete(id);
    this.lastStart.delete(id);
  }

  reset(): void {
    for (const typers of this.typers.values()) for (const timer of typers.values()) clearTimeout(timer);
    this.typers.clear();
    this.lastStart.clear();
  }

  private emit(id: ConversationId): void {
    this.events.emit('typing', { conversationId: id, userIds: this.users(id) });
  }
}
