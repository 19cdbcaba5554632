import type { PresencePushFrame, ServerFrame, UserId } from '@parley/protocol';
import type { ConnectionState } from './connection.ts';
import { Emitter } from './emitter.ts';
import { asParleyError, type ParleyError } from './errors.ts';
import type { OutgoingFrame } from './socket.ts';

/** Most user ids one `presence_subscribe` may carry. */
export const MAX_PRESENCE_SUBSCRIPTIONS = 1000;

/** A user's presence as the client last heard it: online or not, and when last seen. */
export interface PresenceInfo {
  userId: UserId;
  status: 'online' | 'offline';
  /** When the user was last seen online (ISO 8601), or null when never. */
  lastSeen: string | null;
}

export interface PresenceEvents {
  presence: PresenceInfo;
  error: ParleyError;
}

export interface PresenceOptions {
  transport: { readonly state: ConnectionState; request(frame: OutgoingFrame): Promise<ServerFrame> };
}

/**
 * Presence of the users this client asked about. The server only reports
 * users who share a conversation with this one, and forgets a socket's
 * subscriptions when it closes, so the whole set is sent again on every
 * (re)connect. A server without presence answers `unknown_type`: that is
 * reported once as an `error` event and changes nothing else.
 */
export class Presence {
  readonly events = new Emitter<PresenceEvents>();
  private readonly subscribed = new Set<UserId>();
  private readonly known = new Map<UserId, PresenceInfo>();
  private reportedUnsupported = false;

  constructor(private readonly options: PresenceOptions) {}

  /** Adds users to the subscription; only the new ones go on the wire (subscriptions add up on the server). */
  subscribe(userIds: readonly UserId[]): void {
    const added = [...new Set(userIds)].filter((id) => !this.subscribed.has(id));
    for (const id of added) this.subscribed.add(id);
    if (added.length > 0) this.send(added);
  }

  /**
   * Stops reporting these users. The protocol has no unsubscribe frame: the
   * server keeps sending until the next reconnect, and those frames are ignored.
   */
  unsubscribe(userIds: readonly UserId[]): void {
    for (const id of userIds) {
      this.subscribed.delete(id);
      this.known.delete(id);
    }
  }

  get(userId: UserId): PresenceInfo | undefined {
    return this.known.get(userId);
  }

  onReady(): void {
    if (this.subscribed.size > 0) this.send([...this.subscribed]);
  }

  onFrame(frame: PresencePushFrame): void {
    if (!this.subscribed.has(frame.user_id)) return;
    const info: PresenceInfo = { userId: frame.user_id, status: frame.status, lastSeen: frame.last_seen };
    this.known.set(frame.user_id, info);
    this.events.emit('presence', info);
  }

  reset(): void {
    this.subscribed.clear();
    this.known.clear();
  }

  private send(userIds: UserId[]): void {
    if (this.options.transport.state !== 'connected') return;
    for (let i = 0; i < userIds.length; i += MAX_PRESENCE_SUBSCRIPTIONS) {
      this.request(userIds.slice(i, i + MAX_PRESENCE_SUBSCRIPTIONS));
    }
  }

  private request(user_ids: UserId[]): void {
    // The server answers with one `presence` frame per user it lets us watch, each echoing the id;
    // the first settles the request and every one is applied as it arrives.
    this.options.transport.request({ type: 'presence_subscribe', user_ids }).catch((err: unknown) => {
      const error = asParleyError(err);
      // Lost with the socket: the next ready sends it again. No reply at all means no user was visible.
      if (error.code === 'disconnected' || error.code === 'timeout') return;
      if (error.code === 'unknown_type') {
        if (this.reportedUnsupported) return;
        this.reportedUnsupported = true;
      }
      this.events.emit('error', error);
    });
  }
}
