import type { UserId } from '@parley/protocol';
import type { CallState, CallStore } from './call-store.ts';

/** Call state in process memory: the embedded tier (several in-process instances may share one). */
export class MemoryCallStore implements CallStore {
  private readonly calls = new Map<string, { call: CallState; expires: number }>();
  /** Per user: the answered calls they are in, each with its own expiry. */
  private readonly active = new Map<UserId, Map<string, number>>();

  private live(callId: string): CallState | null {
    const entry = this.calls.get(callId);
    if (!entry) return null;
    if (entry.expires <= Date.now()) {
      this.calls.delete(callId);
      return null;
    }
    return entry.call;
  }

  async create(call: CallState, ttlMs: number): Promise<boolean> {
    if (this.live(call.id)) return false;
    this.calls.set(call.id, { call, expires: Date.now() + ttlMs });
    return true;
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
    const now = Date.now();
    return [...this.calls.keys()]
      .map((id) => this.live(id))
      .filter((c): c is CallState => !!c && c.state === 'ringing' && c.invitee_id === userId && c.ring_until > now);
  }
}
