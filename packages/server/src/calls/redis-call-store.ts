import type { UserId } from '@parley/protocol';
import type { RedisClient } from '../redis.ts';
import type { CallState, CallStore } from './call-store.ts';

// Compare-and-set: replace the value only if it is still what was read.
const CAS = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

// One user's answered calls: a sorted set of call ids scored by their expiry (epoch ms).
// Adding drops the expired ones and keeps the key alive as long as its last call.
const ADD_ACTIVE = `
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], string.format('%d', tonumber(last[2])))
return 1
`;

/**
 * Call state in Redis, shared by every instance: `<p>call:<id>` (JSON, with
 * TTL), `<p>call-active:<user>` (the answered calls a user is in: a sorted set
 * scored by each call's expiry, since a mesh puts a user in several) and
 * `<p>call-ring:<user>` (ids of calls ringing the user).
 */
export class RedisCallStore implements CallStore {
  private readonly p: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.p = `${prefix}call`;
  }

  async create(call: CallState, ttlMs: number): Promise<boolean> {
    const ok = await this.redis.set(`${this.p}:${call.id}`, JSON.stringify(call), { condition: 'NX', expiration: { type: 'PX', value: ttlMs } });
    if (ok !== 'OK') return false;
    const ring = `${this.p}-ring:${call.invitee_id}`;
    await this.redis.multi().sAdd(ring, call.id).pExpire(ring, ttlMs).exec();
    return true;
  }

  async get(callId: string): Promise<CallState | null> {
    const raw = await this.redis.get(`${this.p}:${callId}`);
    return raw ? (JSON.parse(raw) as CallState) : null;
  }

  async transition(callId: string, change: (call: CallState) => CallState | null, ttlMs: number): Promise<CallState | null> {
    const key = `${this.p}:${callId}`;
    for (let attempt = 0; attempt < 10; attempt++) {
      const raw = await this.redis.get(key);
      if (!raw) return null;
      const next = change(JSON.parse(raw) as CallState);
      if (!next) return null;
      const ok = await this.redis.eval(CAS, { keys: [key], arguments: [raw, JSON.stringify(next), String(ttlMs)] });
      if (Number(ok) === 1) {
        if (next.state !== 'ringing') await this.redis.sRem(`${this.p}-ring:${next.invitee_id}`, callId);
        return next;
      }
    }
    return null;
  }

  async activeCallsOf(userId: UserId): Promise<string[]> {
    return this.redis.zRangeByScore(`${this.p}-active:${userId}`, `(${Date.now()}`, '+inf');
  }

  async addActiveCall(userIds: UserId[], callId: string, ttlMs: number): Promise<void> {
    // One script per user (one key each), so no script spans hash slots.
    const now = String(Date.now());
    await Promise.all(userIds.map((id) => this.redis.eval(ADD_ACTIVE, { keys: [`${this.p}-active:${id}`], arguments: [callId, now, String(ttlMs)] })));
  }

  async removeActiveCall(userIds: UserId[], callId: string): Promise<void> {
    await Promise.all(userIds.map((id) => this.redis.zRem(`${this.p}-active:${id}`, callId)));
  }

  async ringing(userId: UserId): Promise<CallState[]> {
    const ids = await this.redis.sMembers(`${this.p}-ring:${userId}`);
    const now = Date.now();
    const calls = await Promise.all(ids.map((id) => this.get(id)));
    return calls.filter((c): c is CallState => !!c && c.state === 'ringing' && c.ring_until > now);
  }
}
