import type { UserId } from '@parley/protocol';
import type { RedisClient } from '../redis.ts';
import type { CallState, CallStore, CreateOutcome, RingCaps } from './call-store.ts';

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

// One invitee's ringing calls: a sorted set of "<caller>:<call id>" scored by
// when each stops ringing. Takes a place for a new call unless the invitee, or
// this caller for this invitee, is at its cap; all in one script, so two
// instances cannot both take the last place. Keeps the key alive as long as its
// last call rings.
const RESERVE_RING = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
if #members >= tonumber(ARGV[4]) then return 'invitee_cap' end
local prefix = ARGV[2] .. ':'
local mine = 0
for _, m in ipairs(members) do
  if string.sub(m, 1, #prefix) == prefix then mine = mine + 1 end
end
if mine >= tonumber(ARGV[5]) then return 'caller_cap' end
redis.call('ZADD', KEYS[1], ARGV[6], ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], string.format('%d', tonumber(last[2])))
return 'created'
`;

/**
 * Call state in Redis, shared by every instance: `<p>call:<id>` (JSON, with
 * TTL), `<p>call-active:<user>` (the answered calls a user is in: a sorted set
 * scored by each call's expiry, since a mesh puts a user in several) and
 * `<p>call-ringing:<user>` (calls ringing the user, with their callers, scored
 * by when they stop ringing: see RESERVE_RING).
 */
export class RedisCallStore implements CallStore {
  private readonly p: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.p = `${prefix}call`;
  }

  async create(call: CallState, ttlMs: number, caps: RingCaps): Promise<CreateOutcome> {
    const key = `${this.p}:${call.id}`;
    // The id first: once it is ours, a refused place can be given back by deleting it.
    const ok = await this.redis.set(key, JSON.stringify(call), { condition: 'NX', expiration: { type: 'PX', value: ttlMs } });
    if (ok !== 'OK') return 'id_taken';
    const outcome = String(
      await this.redis.eval(RESERVE_RING, {
        keys: [this.ringKey(call.invitee_id)],
        arguments: [String(Date.now()), call.caller_id, ringMember(call), String(caps.perInvitee), String(caps.perCaller), String(call.ring_until)],
      }),
    ) as CreateOutcome;
    if (outcome !== 'created') await this.redis.del(key);
    return outcome;
  }

  private ringKey(userId: UserId): string {
    return `${this.p}-ringing:${userId}`;
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
        if (next.state !== 'ringing') await this.redis.zRem(this.ringKey(next.invitee_id), ringMember(next));
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
    const members = await this.redis.zRangeByScore(this.ringKey(userId), `(${Date.now()}`, '+inf');
    const calls = await Promise.all(members.map((m) => this.get(m.slice(m.indexOf(':') + 1))));
    const now = Date.now();
    return calls.filter((c): c is CallState => !!c && c.state === 'ringing' && c.invitee_id === userId && c.ring_until > now);
  }
}

/** A ringing call in its invitee's set: the caller (a UUID, no colon) and the call id. */
const ringMember = (call: CallState): string => `${call.caller_id}:${call.id}`;
