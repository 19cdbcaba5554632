import type { PresencePushFrame, UserId } from '@parley/protocol';
import type { Logger } from 'pino';
import type { Sql } from '../store/database.ts';
import { presenceChannel } from '../bus/bus.ts';
import type { Notifier } from '../bus/notifier.ts';
import type { DeviceKey, PresenceStore, UserPresence } from './presence-store.ts';

export interface LocalDevice {
  userId: UserId;
  connectionId: string;
}

/**
 * Online / offline / last seen. Devices are recorded in the PresenceStore;
 * changes are published on the user's presence channel, which only instances
 * with a watching socket listen to, so presence is never broadcast to all.
 * A timer refreshes this instance's devices and sweeps users of dead instances.
 */
export class PresenceService {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: PresenceStore,
    private readonly sql: Sql,
    private readonly notifier: Notifier,
    private readonly instanceId: string,
    private readonly log: Logger,
  ) {}

  private device(connectionId: string): DeviceKey {
    return `${this.instanceId}:${connectionId}`;
  }

  async connected({ userId, connectionId }: LocalDevice): Promise<void> {
    if (await this.store.connect(userId, this.device(connectionId))) this.announce(userId, { online: true, lastSeen: Date.now() });
  }

  async disconnected({ userId, connectionId }: LocalDevice): Promise<void> {
    // After stop() this instance's devices are already gone (and the store may be closed).
    if (this.stopped) return;
    if (await this.store.disconnect(userId, this.device(connectionId))) this.announce(userId, { online: false, lastSeen: Date.now() });
  }

  /** Of `userIds`, those `viewer` may watch: themselves and people they share a conversation with. */
  async visibleTo(viewer: UserId, userIds: readonly UserId[]): Promise<UserId[]> {
    if (userIds.length === 0) return [];
    const rows = await this.sql.query<{ user_id: string }>(
      `SELECT DISTINCT other.user_id
         FROM conversation_members mine
         JOIN conversation_members other ON other.conversation_id = mine.conversation_id
        WHERE mine.user_id = $1 AND other.user_id = ANY($2::uuid[])`,
      [viewer, [...userIds]],
    );
    const visible = new Set(rows.map((r) => r.user_id));
    if (userIds.includes(viewer)) visible.add(viewer);
    return userIds.filter((id) => visible.has(id));
  }

  /**
   * `userId` left a conversation with `formerMembers`: of those, the ones it
   * now shares no conversation with stop watching it and it stops watching
   * them, on every instance (each hub drops the subscriptions of the user's
   * sockets). Never throws: the membership change is already made.
   */
  async conversationLeft(userId: UserId, formerMembers: readonly UserId[]): Promise<void> {
    const others = formerMembers.filter((id) => id !== userId);
    if (others.length === 0) return;
    try {
      const rows = await this.sql.query<{ user_id: string }>(
        `SELECT o.user_id
           FROM unnest($2::uuid[]) AS o(user_id)
          WHERE NOT EXISTS (
            SELECT 1 FROM conversation_members mine
              JOIN conversation_members other ON other.conversation_id = mine.conversation_id
             WHERE mine.user_id = $1 AND other.user_id = o.user_id)`,
        [userId, others],
      );
      const strangers = rows.map((r) => r.user_id);
      if (strangers.length === 0) return;
      this.notifier.control([userId], { type: 'unwatch', userIds: strangers });
      this.notifier.control(strangers, { type: 'unwatch', userIds: [userId] });
    } catch (err) {
      this.log.warn({ err }, 'could not end presence subscriptions after a membership change');
    }
  }

  async frames(userIds: readonly UserId[]): Promise<PresencePushFrame[]> {
    const status = await this.store.status(userIds);
    return userIds.map((id) => toFrame(id, status.get(id) ?? { online: false, lastSeen: null }));
  }

  instancesOf(userId: UserId): Promise<string[]> {
    return this.store.instancesOf(userId);
  }

  /** Starts the heartbeat: refresh local devices, then sweep users whose instance died. */
  start(localDevices: () => Iterable<LocalDevice>, intervalMs: number): void {
    this.timer = setInterval(() => void this.beat(localDevices), intervalMs);
    this.timer.unref();
  }

  private async beat(localDevices: () => Iterable<LocalDevice>): Promise<void> {
    try {
      await this.store.refresh([...localDevices()].map((d) => [d.userId, this.device(d.connectionId)] as const));
      for (const userId of await this.store.sweep()) {
        const status = (await this.store.status([userId])).get(userId)!;
        this.announce(userId, status);
      }
    } catch (err) {
      this.log.warn({ err }, 'presence heartbeat failed');
    }
  }

  /** Takes this instance's devices offline (graceful shutdown) and stops the heartbeat. */
  async stop(localDevices: Iterable<LocalDevice>): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...localDevices].map((d) => this.disconnected(d)));
    this.stopped = true;
  }

  private announce(userId: UserId, status: UserPresence): void {
    this.notifier.publish(presenceChannel(userId), JSON.stringify(toFrame(userId, status)));
  }
}

function toFrame(userId: UserId, status: UserPresence): PresencePushFrame {
  return {
    type: 'presence',
    user_id: userId,
    status: status.online ? 'online' : 'offline',
    last_seen: status.lastSeen === null ? null : new Date(status.lastSeen).toISOString(),
  };
}
