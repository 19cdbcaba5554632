import type { CallPushFrame, CallRelayFrame, ConversationId, UserId } from '@parley/protocol';
import { Calls } from './calls.ts';

/**
 * Test stand-ins for WebRTC (Node has none; the real one is exercised in
 * Chromium by packages/sdk/test/browser and apps/web/test). The fake peer
 * connection plays the description / candidate state machine just far enough
 * for the signaling logic: an offer carries a token naming its connection, so
 * the answer links the two; once both have both descriptions they "connect"
 * and their data channels open and carry text to each other. Like a real
 * one, a closed connection never settles the operations asked of it (WebRTC
 * spec), and `offerGate` holds offers in flight so a test can close one then.
 */
export class FakePeerConnection {
  private static readonly byToken = new Map<string, FakePeerConnection>();
  private static nextToken = 0;
  /** While set, createOffer waits for it. */
  static offerGate: Promise<void> | null = null;
  readonly token = `pc${FakePeerConnection.nextToken++}`;
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  signalingState = 'stable';
  connectionState = 'new';
  closed = false;
  added: RTCIceCandidateInit[] = [];
  peer: FakePeerConnection | null = null;
  channel: FakeDataChannel | null = null;
  ontrack: unknown = null;
  onicecandidate: ((e: { candidate: { toJSON(): RTCIceCandidateInit } | null }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  onnegotiationneeded: unknown = null;
  constructor(readonly config: RTCConfiguration) {
    FakePeerConnection.byToken.set(this.token, this);
  }
  addTrack() {}
  getSenders() {
    return [];
  }
  getTransceivers() {
    return [];
  }
  createDataChannel(): FakeDataChannel {
    this.channel = new FakeDataChannel();
    return this.channel;
  }
  async createOffer() {
    if (FakePeerConnection.offerGate) await FakePeerConnection.offerGate;
    if (this.closed) return unsettled();
    return { type: 'offer' as const, sdp: `v=0\r\na=x-token:${this.token}\r\nm=audio 9 RTP/SAVPF 111\r\n` };
  }
  async createAnswer() {
    if (this.closed) return unsettled();
    return { type: 'answer' as const, sdp: `v=0\r\na=x-token:${this.token}\r\n` };
  }
  async setLocalDescription(d?: RTCSessionDescriptionInit) {
    if (this.closed) return unsettled();
    this.localDescription = d ?? { type: 'answer', sdp: `v=0\r\na=x-token:${this.token}\r\n` };
    this.signalingState = this.localDescription.type === 'offer' ? 'have-local-offer' : 'stable';
    queueMicrotask(() => this.onicecandidate?.({ candidate: { toJSON: () => ({ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 }) } }));
    queueMicrotask(() => this.onicecandidate?.({ candidate: null }));
    this.maybeConnect();
  }
  async setRemoteDescription(d: RTCSessionDescriptionInit) {
    if (this.closed) return unsettled();
    this.remoteDescription = d;
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable';
    const other = FakePeerConnection.byToken.get(/a=x-token:(\S+)/.exec(d.sdp ?? '')?.[1] ?? '');
    if (other && other !== this) {
      this.peer = other;
      other.peer ??= this;
    }
    this.maybeConnect();
  }
  async addIceCandidate(c?: RTCIceCandidateInit) {
    if (c) this.added.push(c);
  }
  restartIce() {}
  close() {
    this.closed = true;
    this.connectionState = 'closed';
    if (this.channel) this.channel.readyState = 'closed';
  }
  private maybeConnect(): void {
    const other = this.peer;
    const ready = (pc: FakePeerConnection) => !pc.closed && pc.localDescription && pc.remoteDescription && pc.connectionState === 'new';
    if (!other || other.peer !== this || !ready(this) || !ready(other)) return;
    for (const [pc, far] of [[this, other], [other, this]] as const) {
      pc.connectionState = 'connected';
      if (pc.channel && far.channel) pc.channel.far = far.channel;
    }
    setTimeout(() => {
      for (const pc of [this, other]) {
        pc.onconnectionstatechange?.();
        pc.channel?.open();
      }
    }, 0);
  }
}

/** What a closed RTCPeerConnection answers: a promise that never settles. */
function unsettled(): Promise<never> {
  return new Promise(() => {});
}

export class FakeDataChannel {
  readyState: RTCDataChannelState = 'connecting';
  far: FakeDataChannel | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  open(): void {
    if (this.readyState !== 'connecting') return;
    this.readyState = 'open';
    this.onopen?.();
  }
  send(text: string): void {
    const far = this.far;
    if (this.readyState === 'open' && far) setTimeout(() => far.readyState === 'open' && far.onmessage?.({ data: text }), 0);
  }
  close(): void {
    this.readyState = 'closed';
  }
}

export const fakeStream = { getTracks: () => [], getAudioTracks: () => [], getVideoTracks: () => [] } as unknown as MediaStream;

/** A device's Calls over the fake WebRTC, sending into `send`. */
export function fakeCalls(me: UserId, send: (frame: CallRelayFrame) => void): Calls {
  let n = 0;
  return new Calls({
    env: {
      RTCPeerConnection: FakePeerConnection as unknown as typeof RTCPeerConnection,
      mediaDevices: { getUserMedia: async () => fakeStream, getDisplayMedia: async () => fakeStream },
      iceServers: async () => [],
    },
    send,
    me: () => me,
    randomUUID: () => `${me}-${n++}`,
  });
}

/**
 * Several users (one device each) whose call frames reach each other as the
 * server relays them: an invite to its invitee, everything else to the other
 * party of that call. Delivery is asynchronous, as over a socket.
 */
export function fakeNetwork(users: UserId[], conversationId: ConversationId) {
  const parties = new Map<string, [UserId, UserId]>();
  const devices = new Map<UserId, Calls>();
  /** Every frame sent, in order. */
  const log: Array<{ from: UserId; frame: CallRelayFrame }> = [];
  const deliver = (from: UserId, frame: CallRelayFrame): void => {
    log.push({ from, frame });
    if (frame.type === 'call_invite') parties.set(frame.call_id, [from, frame.invitee!]);
    const pair = parties.get(frame.call_id);
    if (!pair) return;
    const to = pair[0] === from ? pair[1] : pair[0];
    const push = { ...frame, conversation_id: conversationId, sender_id: from } as CallPushFrame;
    setTimeout(() => devices.get(to)?.onFrame(push), 0);
  };
  for (const id of users) devices.set(id, fakeCalls(id, (frame) => deliver(id, frame)));
  return { devices, log, device: (id: UserId) => devices.get(id)! };
}
