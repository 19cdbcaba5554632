import type { UserId } from '@parley/protocol';
import type { RedisClient } from '../redis.ts';
import { instanceOfDevice, type DeviceKey, type PresenceStore, type UserPresence } from './presence-store.ts';

/**
 * Presence in Redis, shared by every instance.
 *
 * - `<p>u:<user>`: sorted set of the user's devices, scored by expiry (ms).
 *   Online = at least one score in the future.
 * - `<p>seen:<user>`: last-seen time (ms), written when the user goes offline.
 * - `<p>active`: every user with devices, scored by their latest expiry, so a
 *   sweep finds users of dead instances without scanning keys.
 * - `<p>sweep`: a short lock so one instance sweeps at a time.
 */
export class RedisPresence implements PresenceStore {
  private readonly p: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly ttlMs: number,
  ) {
    this.p = `${prefix}presence:`;
  }

  private key(userId: UserId): string {
    return `${this.p}u:${userId}`;
  }

  async connect(userId: UserId, device: DeviceKey): Promise<boolean> {
    const now = Date.now();
    const key = this.key(userId);
    const [, , count] = await this.redis
      .multi()
      .zRemRangeByScore(key, '-inf', now)
      .zAdd(key, { score: now + this.ttlMs, value: device })
      .zCard(key)
      .pExpire(key, this.ttlMs * 2)
      .zAdd(`${this.p}active`, { score: now + this.ttlMs, value: userId }, { comparison: 'GT' })
      .exec();
    return Number(count) === 1;
  }

  async disconnect(userId: UserId, device: DeviceKey): Promise<boolean> {
    const now = Date.now();
    const key = this.key(userId);
    const [removed, , count] = await this.redis.multi().zRem(key, device).zRemRangeByScore(key, '-inf', now).zCard(key).exec();
    if (Number(removed) === 0 || Number(count) > 0) return false;
    await this.redis.multi().set(`${this.p}seen:${userId}`, String(now)).zRem(`${this.p}active`, userId).exec();
    return true;
  }

  async refresh(devices: ReadonlyArray<readonly [UserId, DeviceKey]>): Promise<void> {
    if (devices.length === 0) return;
    const expires = Date.now() + this.ttlMs;
    const batch = this.redis.multi();
    for (const [userId, device] of devices) {
      batch
        .zAdd(this.key(userId), { score: expires, value: device })
        .pExpire(this.key(userId), this.ttlMs * 2)
        .zAdd(`${this.p}active`, { score: expires, value: userId }, { comparison: 'GT' });
    }
    await batch.execAsPipeline();
  }

  async status(userIds: readonly UserId[]): Promise<Map<UserId, UserPresence>> {
    const now = Date.now();
    const batch = this.redis.multi();
    for (const id of userIds) batch.zCount(this.key(id), now, '+inf').get(`${this.p}seen:${id}`);
    const replies = await batch.execAsPipeline();
    const result = new Map<UserId, UserPresence>();
    userIds.forEach((id, i) => {
      const online = Number(replies[i * 2]) > 0;
      const seen = replies[i * 2 + 1];
      result.set(id, { online, lastSeen: online ? now : seen ? Number(seen) : null });
    });
    return result;
  }

  async instancesOf(userId: UserId): Promise<string[]> {
    const devices = await this.redis.zRangeByScore(this.key(userId), Date.now(), '+inf');
    return [...new Set(devices.map(instanceOfDevice))];
  }

  async sweep(): Promise<UserId[]> {
    const lock = await this.redis.set(`${this.p}sweep`, '1', { condition: 'NX', expiration: { type: 'PX', value: Math.max(1000, Math.floor(this.ttlMs / 3)) } });
    if (lock !== 'OK') return [];
    const now = Date.now();
    const expired = await this.redis.zRangeByScoreWithScores(`${this.p}active`, '-inf', now, { LIMIT: { offset: 0, count: 1000 } });
    const gone: UserId[] = [];
    for (const { value: userId, score } of expired) {
      const key = this.key(userId);
      const [, count] = await this.redis.multi().zRemRangeByScore(key, '-inf', now).zCard(key).exec();
      if (Number(count) > 0) continue;
      // Last heartbeat ≈ expiry − TTL: the best estimate of when a dead instance's user was last online.
      const removed = await this.redis.zRem(`${this.p}active`, userId);
      if (removed === 0) continue;
      await this.redis.set(`${this.p}seen:${userId}`, String(score - this.ttlMs));
      gone.push(userId);
    }
    return gone;
  }

  async close(): Promise<void> {}
}
