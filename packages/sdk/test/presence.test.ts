import { describe, expect, it } from 'vitest';
import { CloseCodes } from '@parley/protocol';
import { eventually } from './support/eventually.ts';
import { record, useFakeServer } from './support/clients.ts';

/** Presence subscriptions and events, and servers that do not speak presence. */
describe('presence', () => {
  const fake = useFakeServer();

  function users() {
    const alice = fake.server.addUser('alice');
    const bob = fake.server.addUser('bob');
    const carol = fake.server.addUser('carol');
    const conv = fake.server.addConversation([alice.id, bob.id]);
    return { alice, bob, carol, conv };
  }

  it('subscribes, applies presence frames, and subscribes again after a reconnect', async () => {
    const { alice, bob, carol } = users();
    const { client } = fake.open(alice);
    const events = record(client, 'presence');
    client.connect();
    await client.connected();
    client.subscribePresence([bob.id]);
    await eventually(() => expect(client.presenceOf(bob.id)).toEqual({ userId: bob.id, status: 'offline', lastSeen: null }));
    client.subscribePresence([bob.id, carol.id]);
    await eventually(() => expect(fake.server.frames('presence_subscribe').map((f) => f.user_ids)).toEqual([[bob.id], [carol.id]]));

    const seen = '2030-01-01T00:00:00.000Z';
    fake.server.push({ type: 'presence', user_id: bob.id, status: 'online', last_seen: seen });
    await eventually(() => expect(client.presenceOf(bob.id)).toMatchObject({ status: 'online', lastSeen: seen }));

    fake.server.closeAll(CloseCodes.serviceRestart);
    await eventually(() => expect(fake.server.frames('presence_subscribe')).toHaveLength(3));
    expect(fake.server.frames('presence_subscribe')[2]!.user_ids).toEqual([bob.id, carol.id]);
    await eventually(() => expect(events).toHaveLength(5));

    client.unsubscribePresence([carol.id]);
    fake.server.push({ type: 'presence', user_id: carol.id, status: 'online', last_seen: seen });
    const later = '2030-01-02T00:00:00.000Z';
    fake.server.push({ type: 'presence', user_id: bob.id, status: 'offline', last_seen: later });
    await eventually(() => expect(client.presenceOf(bob.id)).toMatchObject({ status: 'offline', lastSeen: later }));
    expect(client.presenceOf(carol.id)).toBeUndefined();
    expect(events.map((e) => `${e.userId === bob.id ? 'bob' : 'carol'}:${e.status}`)).toEqual([
      'bob:offline',
      'carol:offline',
      'bob:online',
      'bob:offline', // the answer to the new subscription: bob has no socket
      'carol:offline',
      'bob:offline',
    ]);
  });

  it('tolerates a server without presence: one error event, and everything else keeps working', async () => {
    const { alice, bob, conv } = users();
    fake.server.presence = 'unsupported';
    const { client } = fake.open(alice);
    const errors = record(client, 'error');
    client.connect();
    await client.connected();
    client.subscribePresence([bob.id]);
    await eventually(() => expect(errors.map((e) => e.code)).toEqual(['unknown_type']));

    fake.server.closeAll(CloseCodes.serviceRestart);
    await eventually(() => expect(fake.server.frames('presence_subscribe')).toHaveLength(2));
    client.send(conv.id, 'still fine');
    await eventually(() => expect(client.pending()).toEqual([]));
    expect(client.state).toBe('connected');
    expect(client.presenceOf(bob.id)).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['unknown_type']);
  });
});
