import type { UserId } from '@parley/protocol';
import type { RedisClient } from '../redis.ts';
import type { CallState, CallStore } from './call-store.ts';

// Compare-and-set: replace the value only if it is still what was read.
const CAS = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

/**
 * Call state in Redis, shared by every instance: `<p>call:<id>` (JSON, with
 * TTL), `<p>call-active:<user>` (the answered call a user is in) and
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

  async activeCallOf(userId: UserId): Promise<string | null> {
    return this.redis.get(`${this.p}-active:${userId}`);
  }

  async setActive(userIds: UserId[], callId: string | null, ttlMs: number): Promise<void> {
    const batch = this.redis.multi();
    for (const id of userIds) {
      if (callId) batch.set(`${this.p}-active:${id}`, callId, { expiration: { type: 'PX', value: ttlMs } });
      else batch.del(`${this.p}-active:${id}`);
    }
    await batch.exec();
  }

  async ringing(userId: UserId): Promise<CallState[]> {
    const ids = await this.redis.sMembers(`${this.p}-ring:${userId}`);
    const now = Date.now();
    const calls = await Promise.all(ids.map((id) => this.get(id)));
    return calls.filter((c): c is CallState => !!c && c.state === 'ringing' && c.ring_until > now);
  }
}
