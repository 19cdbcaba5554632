import type { UserId } from '@parley/protocol';
import { instanceOfDevice, type DeviceKey, type PresenceStore, type UserPresence } from './presence-store.ts';

/**
 * Presence for the embedded tier, in process memory. Several in-process
 * instances may share one (tests of multi-instance behaviour). `now` is
 * injectable so expiry can be tested without waiting.
 */
export class MemoryPresence implements PresenceStore {
  private readonly devices = new Map<UserId, Map<DeviceKey, number>>();
  private readonly lastSeen = new Map<UserId, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private live(userId: UserId): Map<DeviceKey, number> {
    let devices = this.devices.get(userId);
    if (!devices) this.devices.set(userId, (devices = new Map()));
    const now = this.now();
    for (const [device, expires] of devices) if (expires <= now) devices.delete(device);
    return devices;
  }

  async connect(userId: UserId, device: DeviceKey): Promise<boolean> {
    const devices = this.live(userId);
    devices.set(device, this.now() + this.ttlMs);
    return devices.size === 1;
  }

  async disconnect(userId: UserId, device: DeviceKey): Promise<boolean> {
    const devices = this.live(userId);
    if (!devices.delete(device) || devices.size > 0) return false;
    this.devices.delete(userId);
    this.lastSeen.set(userId, this.now());
    return true;
  }

  async refresh(devices: ReadonlyArray<readonly [UserId, DeviceKey]>): Promise<void> {
    const expires = this.now() + this.ttlMs;
    for (const [userId, device] of devices) this.live(userId).set(device, expires);
  }

  async status(userIds: readonly UserId[]): Promise<Map<UserId, UserPresence>> {
    const result = new Map<UserId, UserPresence>();
    for (const id of userIds) {
      const online = (this.devices.has(id) ? this.live(id).size : 0) > 0;
      result.set(id, { online, lastSeen: online ? this.now() : (this.lastSeen.get(id) ?? null) });
    }
    return result;
  }

  async instancesOf(userId: UserId): Promise<string[]> {
    if (!this.devices.has(userId)) return [];
    return [...new Set([...this.live(userId).keys()].map(instanceOfDevice))];
  }

  async sweep(): Promise<UserId[]> {
    const gone: UserId[] = [];
    for (const [userId, devices] of this.devices) {
      const latest = Math.max(...devices.values());
      if (this.live(userId).size > 0) continue;
      this.devices.delete(userId);
      this.lastSeen.set(userId, latest - this.ttlMs);
      gone.push(userId);
    }
    return gone;
  }

  async close(): Promise<void> {}
}
