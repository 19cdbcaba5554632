import type { UserId } from '@parley/protocol';

/** A device is one socket: `<instanceId>:<connectionId>`. */
export type DeviceKey = string;

export interface UserPresence {
  online: boolean;
  /** Epoch ms of the last moment the user was known online; null if never seen. */
  lastSeen: number | null;
}

/**
 * Who is online, on which instances. A user is online while any of their
 * devices is; a device not refreshed within the TTL counts as gone, which is
 * how users of a dead instance go offline.
 */
export interface PresenceStore {
  /** Records a device; true when it is the user's first (the user just came online). */
  connect(userId: UserId, device: DeviceKey): Promise<boolean>;
  /** Forgets a device; true when it was the user's last (the user just went offline). */
  disconnect(userId: UserId, device: DeviceKey): Promise<boolean>;
  /** Heartbeat: extends the TTL of these live devices. */
  refresh(devices: ReadonlyArray<readonly [UserId, DeviceKey]>): Promise<void>;
  status(userIds: readonly UserId[]): Promise<Map<UserId, UserPresence>>;
  /** Instance ids where the user has a live device (so signaling can reach them). */
  instancesOf(userId: UserId): Promise<string[]>;
  /** Finds users whose every device expired (their instance died) and marks them offline; returns them. */
  sweep(): Promise<UserId[]>;
  close(): Promise<void>;
}

export function instanceOfDevice(device: DeviceKey): string {
  return device.slice(0, device.lastIndexOf(':'));
}
