import { describe, expect, it } from 'vitest';
import type { UserId } from '@parley/protocol';
import { eventually } from '../../test/support/eventually.ts';
import { fakeNetwork } from './fake-rtc.ts';
import type { MeshCall } from './mesh-call.ts';

// User ids in order: the mesh rule "the smaller id calls" is about their order.
const [A, B, C] = ['u1-alice', 'u2-bob', 'u3-carol'];

/** Three users of one group on the fake network; each device keeps the calls that rang it. */
function group() {
  const net = fakeNetwork([A, B, C], 'g1');
  const rang = new Map<UserId, MeshCall[]>([A, B, C].map((id) => [id, []]));
  for (const id of [A, B, C]) net.device(id).on('ringing', (mesh) => rang.get(id)!.push(mesh));
  const states = (mesh: MeshCall | undefined) => Object.fromEntries((mesh?.participants() ?? []).map((p) => [p.id, p.state]));
  const invites = (from: UserId, to: UserId) => net.log.filter((l) => l.from === from && l.frame.type === 'call_invite' && l.frame.invitee === to).length;
  const ringing = async (id: UserId): Promise<MeshCall> => {
    await eventually(() => rang.get(id)!.length > 0);
    return rang.get(id)![0]!;
  };
  return { net, rang, states, invites, ringing };
}

describe('MeshCall', () => {
  it('grows into a full mesh as the invitees answer, however late: the smaller id calls, and nobody rings twice', async () => {
    const { net, rang, states, invites, ringing } = group();
    const alice = await net.device(A).startMesh('g1', [B, C], { video: true });
    expect(states(alice)).toEqual({ [B]: 'ringing', [C]: 'ringing' });
    const bob = await ringing(B);
    expect(bob.caller).toBe(A);
    await bob.accept();
    await eventually(() => expect(states(alice)).toEqual({ [B]: 'connected', [C]: 'ringing' }));
    // Bob hears from Alice that she is ringing Carol.
    await eventually(() => expect(states(bob)).toEqual({ [A]: 'connected', [C]: 'ringing' }));

    const carol = await ringing(C);
    await carol.accept();
    for (const [mesh, others] of [[alice, [B, C]], [bob, [A, C]], [carol, [A, B]]] as const) {
      await eventually(() => expect(states(mesh)).toEqual(Object.fromEntries(others.map((id) => [id, 'connected']))));
    }
    expect(invites(B, C)).toBe(1);
    expect(invites(C, B)).toBe(0);
    expect([...rang.values()].map((r) => r.length)).toEqual([0, 1, 1]);
  });

  it('goes on without a member who declines, and never rings them again', async () => {
    const { net, rang, states, invites, ringing } = group();
    const alice = await net.device(A).startMesh('g1', [B, C], { video: false });
    (await ringing(C)).decline();
    const bob = await ringing(B);
    await bob.accept();
    await eventually(() => expect(states(alice)).toEqual({ [B]: 'connected', [C]: 'left' }));
    expect(alice.participants().find((p) => p.id === C)?.reason).toBe('user_rejected');
    await eventually(() => expect(states(bob)).toEqual({ [A]: 'connected' }));
    expect(alice.state).toBe('joined');
    expect(invites(B, C) + invites(A, C)).toBe(1);
    expect(rang.get(C)).toHaveLength(1);
  });

  it('leaves only your own legs when you hang up, tells peers your media, and ends when nobody else remains', async () => {
    const { net, states, ringing } = group();
    const alice = await net.device(A).startMesh('g1', [B, C], { video: true });
    const [bob, carol] = [await ringing(B), await ringing(C)];
    await Promise.all([bob.accept(), carol.accept()]);
    await eventually(() => expect(states(carol)).toEqual({ [A]: 'connected', [B]: 'connected' }));

    carol.setMuted(true);
    await eventually(() => expect(bob.participants().find((p) => p.id === C)).toMatchObject({ muted: true }));

    carol.hangup();
    expect(carol.state).toBe('ended');
    for (const [mesh, other] of [[alice, B], [bob, A]] as const) {
      await eventually(() => expect(states(mesh)).toEqual({ [other]: 'connected', [C]: 'left' }));
      expect(mesh.state).toBe('joined');
    }
    bob.hangup();
    await eventually(() => expect(alice.state).toBe('ended'));
    expect(net.device(A).activeMeshes()).toEqual([]);
  });
});
