import { afterEach, expect, it } from 'vitest';
import type { PresenceStore } from './presence-store.ts';

/**
 * The behaviour every PresenceStore must have. `makeStore(ttlMs)` returns
 * stores sharing one backend (two calls = two instances). Expiry is tested
 * with a short real TTL, waited for by polling.
 */
export function presenceContract(makeStore: (ttlMs: number) => Promise<PresenceStore>): void {
  const opened: PresenceStore[] = [];
  const open = async (ttlMs = 10_000) => {
    const store = await makeStore(ttlMs);
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  const user = () => crypto.randomUUID();

  it('is online while any device is connected, on any instance', async () => {
    const [x, y] = [await open(), await open()];
    const u = user();
    expect(await x.connect(u, 'i1:c1')).toBe(true);
    expect(await y.connect(u, 'i2:c1')).toBe(false);
    expect((await y.status([u])).get(u)).toMatchObject({ online: true });
    expect((await x.instancesOf(u)).sort()).toEqual(['i1', 'i2']);

    expect(await x.disconnect(u, 'i1:c1')).toBe(false);
    expect((await x.status([u])).get(u)?.online).toBe(true);
    const before = Date.now();
    expect(await y.disconnect(u, 'i2:c1')).toBe(true);
    const after = (await x.status([u])).get(u)!;
    expect(after.online).toBe(false);
    expect(after.lastSeen).toBeGreaterThanOrEqual(before - 5);
    expect(await x.instancesOf(u)).toEqual([]);
  });

  it('reports never-seen users as offline with no last-seen time, and ignores unknown devices', async () => {
    const x = await open();
    const u = user();
    expect((await x.status([u])).get(u)).toEqual({ online: false, lastSeen: null });
    expect(await x.disconnect(u, 'i1:nope')).toBe(false);
  });

  it('takes the users of an instance that stops heartbeating offline after the TTL, and sweeps them once', async () => {
    const ttl = 600;
    const [dead, alive] = [await open(ttl), await open(ttl)];
    const [u1, u2] = [user(), user()];
    await dead.connect(u1, 'dead:c1');
    await alive.connect(u2, 'alive:c1');
    const swept: string[] = [];
    await expect
      .poll(
        async () => {
          await alive.refresh([[u2, 'alive:c1']]);
          swept.push(...(await alive.sweep()));
          return swept.includes(u1);
        },
        { timeout: 5_000, interval: 150 },
      )
      .toBe(true);
    expect(swept).not.toContain(u2);
    expect(swept.filter((u) => u === u1)).toHaveLength(1);
    const status = await alive.status([u1, u2]);
    expect(status.get(u1)?.online).toBe(false);
    expect(status.get(u1)?.lastSeen).not.toBeNull();
    expect(status.get(u2)?.online).toBe(true);
  });
}
