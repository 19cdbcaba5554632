import { describe, expect, it } from 'vitest';
import type { CallPushFrame, CallRelayFrame, UserId } from '@parley/protocol';
import { Calls } from './calls.ts';
import { FakePeerConnection, fakeStream } from './fake-rtc.ts';

/** Two users' devices whose call frames reach each other as the server would relay them. */
function pair(aliceId: UserId, bobId: UserId) {
  const sent: Array<{ from: UserId; frame: CallRelayFrame }> = [];
  /** Every frame ever sent (relay() empties `sent`). */
  const log: Array<{ from: UserId; frame: CallRelayFrame }> = [];
  let n = 0;
  const make = (me: UserId) =>
    new Calls({
      env: {
        RTCPeerConnection: FakePeerConnection as unknown as typeof RTCPeerConnection,
        mediaDevices: { getUserMedia: async () => fakeStream, getDisplayMedia: async () => fakeStream },
        iceServers: async () => [],
      },
      send: (frame) => {
        sent.push({ from: me, frame });
        log.push({ from: me, frame });
      },
      me: () => me,
      randomUUID: () => `${me.slice(0, 1)}-${n++}`,
    });
  const alice = make(aliceId);
  const bob = make(bobId);
  /** Delivers everything sent so far to the other side, as a push frame. */
  const relay = () => {
    for (const { from, frame } of sent.splice(0)) {
      const push = { ...frame, conversation_id: 'c1', sender_id: from } as CallPushFrame;
      (from === aliceId ? bob : alice).onFrame(push);
    }
  };
  return { alice, bob, sent, log, relay };
}

const settle = () => new Promise((r) => setTimeout(r, 80));

describe('Calls', () => {
  it('ends a call hung up while its offer is being made, instead of waiting forever on the closed connection', async () => {
    const { alice, sent } = pair('alice', 'bob');
    let release!: () => void;
    FakePeerConnection.offerGate = new Promise((r) => (release = r));
    let started = false;
    try {
      const starting = alice.start('c1', { invitee: 'bob', video: false }).then((call) => {
        started = true;
        return call;
      });
      await expect.poll(() => alice.active().length).toBe(1);
      alice.active()[0]!.hangup(); // what glare does to the losing side's outgoing call
      release();
      await expect.poll(() => started).toBe(true);
      expect((await starting).state).toBe('ended');
      expect(sent.map((s) => s.frame.type)).toEqual(['call_hangup']); // no invite for a call already over
    } finally {
      FakePeerConnection.offerGate = null;
      release();
    }
  });

  it('invites, rings the callee, answers, selects the answer and trades batched candidates', async () => {
    const { alice, bob, sent, log, relay } = pair('alice', 'bob');
    let ringing: import('./call-session.ts').CallSession | undefined;
    bob.on('incoming', (c) => (ringing = c));
    const call = await alice.start('c1', { invitee: 'bob', video: false });
    expect(sent[0]?.frame).toMatchObject({ type: 'call_invite', invitee: 'bob', offer: { type: 'offer' } });
    relay();
    expect(ringing?.state).toBe('ringing');
    await ringing!.accept();
    await settle();
    expect(sent.map((s) => s.frame.type)).toEqual(expect.arrayContaining(['call_candidates', 'call_answer']));
    relay();
    await settle();
    expect(call.peerPartyId).toBe(bob.partyId);
    expect(log.find((s) => s.frame.type === 'call_select_answer')?.frame).toMatchObject({ selected_party_id: bob.partyId });
    // One batch holds the candidate and the end-of-candidates marker.
    const batch = log.find((s) => s.frame.type === 'call_candidates' && s.from === 'alice')?.frame as { candidates: unknown[] };
    expect(batch.candidates).toHaveLength(2);
  });

  it('resolves glare: both sides keep the call with the smaller id, and it gets answered', async () => {
    const { alice, bob, sent, relay } = pair('alice', 'bob');
    const ringing: string[] = [];
    alice.on('incoming', (c) => ringing.push(c.id));
    bob.on('incoming', (c) => ringing.push(c.id));
    const [fromAlice, fromBob] = await Promise.all([alice.start('c1', { invitee: 'bob' }), bob.start('c1', { invitee: 'alice' })]);
    relay();
    await settle();
    const [keep, drop] = fromAlice.id < fromBob.id ? [fromAlice, fromBob] : [fromBob, fromAlice];
    expect(ringing).toEqual([]); // nobody is asked: the crossing is settled by both sides alike
    expect(drop.state).toBe('ended');
    expect(sent.some((s) => s.frame.type === 'call_hangup' && s.frame.call_id === drop.id)).toBe(true);
    expect(sent.some((s) => s.frame.type === 'call_answer' && s.frame.call_id === keep.id)).toBe(true);
    relay();
    await settle();
    expect(keep.state).not.toBe('ended');
    expect(alice.active().concat(bob.active()).map((c) => c.id).every((id) => id === keep.id)).toBe(true);
  });

  it('stops ringing when answered on another device, but not on the device that answered', async () => {
    const { alice, bob, relay } = pair('alice', 'bob');
    let ringing: import('./call-session.ts').CallSession | undefined;
    bob.on('incoming', (c) => (ringing = c));
    await alice.start('c1', { invitee: 'bob' });
    relay();
    const ended: string[] = [];
    bob.on('ended', (c) => ended.push(c.id));
    const elsewhere = { type: 'call_hangup', call_id: ringing!.id, party_id: 'other-device', reason: 'answered_elsewhere', conversation_id: 'c1', sender_id: 'bob' } as CallPushFrame;
    bob.onFrame({ ...elsewhere, party_id: bob.partyId } as CallPushFrame);
    expect(ringing!.state).toBe('ringing');
    bob.onFrame(elsewhere);
    await settle();
    expect(ringing!.state).toBe('ended');
    expect(ended).toEqual([ringing!.id]);
  });
});
