import type { UserId } from '@parley/protocol';
import type { CallState, CallStore, CreateOutcome, RingCaps } from './call-store.ts';

/** Call state in process memory: the embedded tier (several in-process instances may share one). */
export class MemoryCallStore implements CallStore {
  private readonly calls = new Map<string, { call: CallState; expires: number }>();
  /** Per user: the answered calls they are in, each with its own expiry. */
  private readonly active = new Map<UserId, Map<string, number>>();
  /** Per invitee: the ids of calls that may still ring them (pruned as they are read). */
  private readonly rings = new Map<UserId, Set<string>>();
  /** Size of `calls` at which expired calls are swept (calls are otherwise dropped only when read). */
  private sweepAt = 1024;

  private live(callId: string): CallState | null {
    const entry = this.calls.get(callId);
    if (!entry) return null;
    if (entry.expires <= Date.now()) {
      this.calls.delete(callId);
      return null;
    }
    return entry.call;
  }

  async create(call: CallState, ttlMs: number, caps: RingCaps): Promise<CreateOutcome> {
    if (this.live(call.id)) return 'id_taken';
    if (this.calls.size >= this.sweepAt) this.sweep();
    const ringing = this.ringingCalls(call.invitee_id);
    if (ringing.length >= caps.perInvitee) return 'invitee_cap';
    if (ringing.filter((c) => c.caller_id === call.caller_id).length >= caps.perCaller) return 'caller_cap';
    this.calls.set(call.id, { call, expires: Date.now() + ttlMs });
    let ids = this.rings.get(call.invitee_id);
    if (!ids) this.rings.set(call.invitee_id, (ids = new Set()));
    ids.add(call.id);
    return 'created';
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.calls) if (entry.expires <= now) this.calls.delete(id);
    for (const [userId, ids] of this.rings) {
      for (const id of ids) if (!this.calls.has(id)) ids.delete(id);
      if (ids.size === 0) this.rings.delete(userId);
    }
    this.sweepAt = Math.max(1024, this.calls.size * 2);
  }

  async get(callId: string): Promise<CallState | null> {
    return this.live(callId);
  }

  async transition(callId: string, change: (call: CallState) => CallState | null, ttlMs: number): Promise<CallState | null> {
    const current = this.live(callId);
    const next = current ? change(current) : null;
    if (next) this.calls.set(callId, { call: next, expires: Date.now() + ttlMs });
    return next;
  }

  async activeCallsOf(userId: UserId): Promise<string[]> {
    const calls = this.active.get(userId);
    if (!calls) return [];
    const now = Date.now();
    for (const [callId, expires] of calls) if (expires <= now) calls.delete(callId);
    if (calls.size === 0) this.active.delete(userId);
    return [...calls.keys()];
  }

  async addActiveCall(userIds: UserId[], callId: string, ttlMs: number): Promise<void> {
    const expires = Date.now() + ttlMs;
    for (const id of userIds) {
      let calls = this.active.get(id);
      if (!calls) this.active.set(id, (calls = new Map()));
      calls.set(callId, expires);
    }
  }

  async removeActiveCall(userIds: UserId[], callId: string): Promise<void> {
    for (const id of userIds) {
      const calls = this.active.get(id);
      calls?.delete(callId);
      if (calls?.size === 0) this.active.delete(id);
    }
  }

  async ringing(userId: UserId): Promise<CallState[]> {
    return this.ringingCalls(userId);
  }

  /** The calls ringing `userId`; drops the ids of those that no longer do. */
  private ringingCalls(userId: UserId): CallState[] {
    const ids = this.rings.get(userId);
    if (!ids) return [];
    const now = Date.now();
    const ringing: CallState[] = [];
    for (const id of ids) {
      const call = this.live(id);
      if (call && call.state === 'ringing' && call.invitee_id === userId && call.ring_until > now) ringing.push(call);
      else ids.delete(id);
    }
    if (ids.size === 0) this.rings.delete(userId);
    return ringing;
  }
}
