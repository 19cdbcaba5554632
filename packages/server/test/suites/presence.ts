import { beforeAll, expect, it } from 'vitest';
import type { Cluster } from '../support/cluster.ts';
import { connect, createConversation, register, type TestServer } from '../support/harness.ts';

/** Presence across instances: online while any device is, only to subscribers who share a conversation. */
export function presenceSuite(cluster: Cluster): void {
  let a: TestServer, b: TestServer;
  beforeAll(() => ({ a, b } = cluster));

  it('tells subscribers when a contact comes online and goes offline, across instances', async () => {
    const [alice, bob, carol] = await Promise.all([register(a.url), register(a.url), register(a.url)]);
    await createConversation(a.url, alice, [bob]);
    await createConversation(a.url, alice, [carol]);
    const bobSocket = await connect(b, bob);
    const carolSocket = await connect(b, carol); // shares a conversation with alice, but does not subscribe

    const initial = await bobSocket.request({ type: 'presence_subscribe', user_ids: [alice.id] });
    expect(initial).toMatchObject({ type: 'presence', user_id: alice.id, status: 'offline', last_seen: null });
    await bobSocket.next((f) => f.type === 'presence_subscribed' && f.id === initial.id);

    const phone = await connect(a, alice);
    await bobSocket.waitFor((f) => f.type === 'presence' && f.user_id === alice.id && f.status === 'online');
    const laptop = await connect(b, alice);
    phone.close();
    await phone.closed();
    // Still online through the laptop: no offline event yet.
    const ping = await bobSocket.request({ type: 'ping' });
    expect(ping.type).toBe('pong');
    laptop.close();
    const offline = await bobSocket.waitFor((f) => f.type === 'presence' && f.user_id === alice.id && f.status === 'offline');
    expect(Date.parse(offline.last_seen as string)).toBeGreaterThan(Date.now() - 10_000);
    const presenceEvents = bobSocket.frames.filter((f) => f.type === 'presence' && f.user_id === alice.id);
    expect(presenceEvents.map((f) => f.status)).toEqual(['offline', 'online', 'offline']);

    expect(carolSocket.frames.some((f) => f.type === 'presence')).toBe(false);
    bobSocket.close();
    carolSocket.close();
  });

  it('ignores subscriptions to users who share no conversation with the subscriber', async () => {
    const [alice, mallory] = await Promise.all([register(a.url), register(a.url)]);
    const m = await connect(a, mallory);
    m.sendRaw(JSON.stringify({ type: 'presence_subscribe', id: 'p1', user_ids: [alice.id, mallory.id] }));
    const self = await m.next((f) => f.id === 'p1');
    expect(self).toMatchObject({ type: 'presence', user_id: mallory.id, status: 'online' });
    expect(await m.next((f) => f.type === 'presence_subscribed' && f.id === 'p1')).toMatchObject({ user_ids: [mallory.id] });
    const aliceSocket = await connect(b, alice);
    aliceSocket.close();
    await aliceSocket.closed();
    expect(await m.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(m.frames.filter((f) => f.type === 'presence' && f.user_id === alice.id)).toEqual([]);
    m.close();
  });

  it('always answers a subscription, and stops telling an unsubscribed watcher', async () => {
    const [alice, bob] = await Promise.all([register(a.url), register(a.url)]);
    await createConversation(a.url, alice, [bob]);
    const watcher = await connect(a, bob);
    expect(await watcher.request({ type: 'presence_subscribe', user_ids: [crypto.randomUUID()] })).toMatchObject({ type: 'presence_subscribed', user_ids: [] });
    await watcher.request({ type: 'presence_subscribe', user_ids: [alice.id] });
    expect(await watcher.request({ type: 'presence_unsubscribe', user_ids: [alice.id] })).toMatchObject({ type: 'presence_subscribed', user_ids: [] });
    const aliceSocket = await connect(b, alice);
    aliceSocket.close();
    await aliceSocket.closed();
    expect(await watcher.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    expect(watcher.frames.filter((f) => f.type === 'presence' && f.user_id === alice.id).map((f) => f.status)).toEqual(['offline']);
    watcher.close();
  });
}
