import type { UserId } from '@parley/protocol';
import type { CallState, CallStore } from './call-store.ts';

/** Call state in process memory: the embedded tier (several in-process instances may share one). */
export class MemoryCallStore implements CallStore {
  private readonly calls = new Map<string, { call: CallState; expires: number }>();
  private readonly active = new Map<UserId, { callId: string; expires: number }>();

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

  async activeCallOf(userId: UserId): Promise<string | null> {
    const entry = this.active.get(userId);
    if (!entry || entry.expires <= Date.now()) return null;
    return entry.callId;
  }

  async setActive(userIds: UserId[], callId: string | null, ttlMs: number): Promise<void> {
    for (const id of userIds) {
      if (callId) this.active.set(id, { callId, expires: Date.now() + ttlMs });
      else this.active.delete(id);
    }
  }

  async ringing(userId: UserId): Promise<CallState[]> {
    const now = Date.now();
    return [...this.calls.keys()]
      .map((id) => this.live(id))
      .filter((c): c is CallState => !!c && c.state === 'ringing' && c.invitee_id === userId && c.ring_until > now);
  }
}
