import type { CallHangupReason, CallPushFrame, CallRelayFrame, ConversationId, UserId } from '@parley/protocol';
import { Emitter } from '../emitter.ts';

/** Where a 1:1 call is: ringing (not yet answered), connecting (answered, media negotiating), connected, or ended. */
export type CallState = 'ringing' | 'connecting' | 'connected' | 'ended';

/** Events of a `CallSession`: state changes, remote media, and why it ended. */
export interface CallSessionEvents {
  state: CallState;
  /** Outgoing: the callee answered (the call is still connecting). */
  answered: { partyId: string };
  /** The remote side's media arrived (or changed). */
  remote_stream: MediaStream;
  /** The peer-to-peer data channel opened: `sendData` reaches the other side from now on. */
  data_open: { callId: string };
  /** A text message from the other side over the data channel. */
  data: string;
  ended: { reason: CallHangupReason };
}

/** What `untilEnded` resolves to when the call ends first. */
const ENDED = Symbol('ended');
/** A step of a call that its end overtook: the public entry points stop quietly on it. */
class CallEnded extends Error {}

/** Media for a call: its own (taken from the devices), or a stream shared by the legs of a mesh. */
export interface CallMediaOptions {
  video?: boolean;
  /** Send these tracks instead of taking new ones; the call then leaves them running when it ends. */
  stream?: MediaStream;
}

/** What a session needs from the world: WebRTC and media (injectable for tests), and a way to send frames. */
export interface CallEnvironment {
  RTCPeerConnection: typeof RTCPeerConnection;
  mediaDevices: Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'>;
  iceServers: () => Promise<RTCIceServer[]>;
  iceTransportPolicy?: RTCIceTransportPolicy;
  send: (frame: CallRelayFrame) => void;
}

/** Sends a call's candidates in batches rather than one frame each. */
const CANDIDATE_BATCH_MS = 50;

/**
 * One 1:1 call (a group call is several). Offers and answers follow the
 * "perfect negotiation" pattern: the polite side (the lower user id, so both
 * agree without talking) rolls back its own offer when offers cross, the
 * impolite side ignores the other's; a failed ICE connection is restarted.
 *
 * @example
 * ```ts
 * const call = await client.calls.start(conversationId, { video: true });
 * call.on('remote_stream', (stream) => (video.srcObject = stream));
 * call.setMuted(true);
 * call.hangup();
 * ```
 */
export class CallSession extends Emitter<CallSessionEvents> {
  state: CallState;
  localStream: MediaStream | null = null;
  remoteStream: MediaStream | null = null;
  peerPartyId: string | null = null;
  private pc: RTCPeerConnection | null = null;
  private makingOffer = false;
  private ignoreOffer = false;
  private readonly pendingCandidates: RTCIceCandidateInit[] = [];
  private outbox: RTCIceCandidateInit[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly polite: boolean;
  private channel: RTCDataChannel | null = null;
  /** False when the local stream was given (shared by a mesh): ending the call must not stop it. */
  private ownsStream = true;
  private markEnded!: () => void;
  private readonly endedSignal = new Promise<typeof ENDED>((resolve) => (this.markEnded = () => resolve(ENDED)));

  /** The group call this leg belongs to (set before `start`, or from the invite); null: a 1:1 call. */
  groupCallId: string | null = null;

  constructor(
    private readonly env: CallEnvironment,
    readonly id: string,
    readonly conversationId: ConversationId,
    readonly me: UserId,
    readonly peer: UserId,
    readonly partyId: string,
    readonly direction: 'outgoing' | 'incoming',
    readonly video: boolean,
    /** An incoming call's offer. */
    private readonly offer: RTCSessionDescriptionInit | null = null,
  ) {
    super();
    this.state = direction === 'outgoing' ? 'connecting' : 'ringing';
    this.polite = me < peer;
  }

  /** Outgoing: takes the media (or uses `media.stream`), makes the offer and sends the invite. */
  async start(lifetimeMs: number, media: CallMediaOptions = {}): Promise<void> {
    await this.unlessEnded(async () => {
      await this.setUp(media.video ?? this.video, media.stream);
      this.makingOffer = true;
      try {
        await this.untilEnded(this.pc!.setLocalDescription(await this.untilEnded(this.pc!.createOffer())));
      } finally {
        this.makingOffer = false;
      }
      this.sendInvite(lifetimeMs);
    });
  }

  private sendInvite(lifetimeMs: number): void {
    this.env.send({
      type: 'call_invite',
      call_id: this.id,
      party_id: this.partyId,
      conversation_id: this.conversationId,
      lifetime: lifetimeMs,
      offer: { type: 'offer', sdp: this.pc!.localDescription!.sdp },
      invitee: this.peer,
      ...(this.groupCallId ? { group_call_id: this.groupCallId } : {}),
    });
  }

  /** Incoming: answers with this device's media (or `options.stream`). */
  async accept(options: CallMediaOptions = {}): Promise<void> {
    if (this.state !== 'ringing') return;
    this.setState('connecting');
    await this.unlessEnded(async () => {
      await this.setUp(options.video ?? this.video, options.stream);
      await this.untilEnded(this.pc!.setRemoteDescription(this.offer!));
      await this.drainCandidates();
      await this.untilEnded(this.pc!.setLocalDescription(await this.untilEnded(this.pc!.createAnswer())));
      this.env.send({ type: 'call_answer', call_id: this.id, party_id: this.partyId, answer: { type: 'answer', sdp: this.pc!.localDescription!.sdp } });
    });
  }

  reject(): void {
    if (this.state !== 'ringing') return;
    this.env.send({ type: 'call_reject', call_id: this.id, party_id: this.partyId });
    this.end('user_rejected');
  }

  hangup(reason: CallHangupReason = 'user_hangup'): void {
    if (this.state === 'ended') return;
    this.env.send({ type: 'call_hangup', call_id: this.id, party_id: this.partyId, reason });
    this.end(reason);
  }

  setMuted(muted: boolean): void {
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = !muted;
  }

  setCamera(on: boolean): void {
    for (const t of this.localStream?.getVideoTracks() ?? []) t.enabled = on;
  }

  /** Sends the screen instead of the camera until the share ends (or `stopScreen`). */
  async shareScreen(): Promise<void> {
    const screen = await this.env.mediaDevices.getDisplayMedia({ video: true });
    const track = screen.getVideoTracks()[0];
    if (track) await this.replaceVideo(track);
  }

  async stopScreen(): Promise<void> {
    const camera = this.localStream?.getVideoTracks()[0];
    if (camera) await this.replaceVideo(camera);
  }

  /**
   * Switches to another microphone or camera (ids from enumerateDevices). The
   * new track takes the old one's place in `localStream` and keeps its
   * muted / camera-off state; the old one stops. (A mesh switches its shared
   * stream itself, with `replaceTrack` on each leg.)
   */
  async useDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    const stream = await this.env.mediaDevices.getUserMedia({ [kind]: { deviceId: { exact: deviceId } } });
    const track = stream.getTracks()[0];
    if (!track) return;
    const old = kind === 'audio' ? this.localStream?.getAudioTracks()[0] : this.localStream?.getVideoTracks()[0];
    if (old) track.enabled = old.enabled;
    await this.replaceTrack(kind, track);
    if (this.localStream && old) {
      this.localStream.removeTrack(old);
      this.localStream.addTrack(track);
      if (this.ownsStream) old.stop();
    }
  }

  /** Sends `track` in place of what this call sends of its kind now (no renegotiation). */
  async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<void> {
    // By the receiver's kind: a sender whose track was replaced by null still has its transceiver.
    const transceiver = this.pc?.getTransceivers().find((t) => t.receiver.track.kind === kind);
    if (transceiver) await transceiver.sender.replaceTrack(track);
  }

  /** The local stream when it is shared (given to start / accept), else null. */
  get sharedStream(): MediaStream | null {
    return this.ownsStream ? null : this.localStream;
  }

  /** Sends text to the other side over the call's data channel; false while the channel is not open. */
  sendData(text: string): boolean {
    if (this.channel?.readyState !== 'open') return false;
    this.channel.send(text);
    return true;
  }

  /** WebRTC statistics of the call (bytes sent and received, the selected candidate pair, …). */
  async getStats(): Promise<RTCStatsReport | null> {
    return this.pc ? this.pc.getStats() : null;
  }

  /** A call frame from the other side (or the server) for this call. */
  onFrame(frame: CallPushFrame): Promise<void> {
    return this.unlessEnded(() => this.handle(frame));
  }

  private async handle(frame: CallPushFrame): Promise<void> {
    switch (frame.type) {
      case 'call_answer':
        if (this.direction !== 'outgoing' || this.peerPartyId) return;
        this.peerPartyId = frame.party_id;
        await this.untilEnded(this.pc!.setRemoteDescription(frame.answer));
        await this.drainCandidates();
        this.env.send({ type: 'call_select_answer', call_id: this.id, party_id: this.partyId, selected_party_id: frame.party_id });
        this.emit('answered', { partyId: frame.party_id });
        return;
      case 'call_candidates':
        for (const c of frame.candidates) await this.addCandidate(c);
        return;
      case 'call_negotiate':
        return this.onNegotiate(frame.description);
      case 'call_hangup':
        // The server tells the callee's other devices which party answered; that device ignores it.
        if (frame.reason === 'answered_elsewhere' && frame.party_id === this.partyId) return;
        return this.end(frame.reason ?? 'user_hangup');
      case 'call_reject':
        return this.end('user_rejected');
    }
  }

  private async onNegotiate(description: RTCSessionDescriptionInit): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    const collision = description.type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    await this.untilEnded(pc.setRemoteDescription(description)); // rolls back our own offer first when polite
    await this.drainCandidates();
    if (description.type === 'offer') {
      await this.untilEnded(pc.setLocalDescription());
      this.env.send({ type: 'call_negotiate', call_id: this.id, party_id: this.partyId, description: { type: 'answer', sdp: pc.localDescription!.sdp } });
    }
  }

  private async setUp(video: boolean, shared?: MediaStream): Promise<void> {
    this.ownsStream = !shared;
    this.localStream = shared ?? (await this.env.mediaDevices.getUserMedia({ audio: true, video }));
    const iceServers = await this.env.iceServers();
    if (this.state === 'ended') {
      // Hung up while the media or the ICE servers were on their way: no connection to open.
      if (this.ownsStream) for (const t of this.localStream.getTracks()) t.stop();
      throw new CallEnded();
    }
    const pc = new this.env.RTCPeerConnection({ iceServers, iceTransportPolicy: this.env.iceTransportPolicy ?? 'all' });
    this.pc = pc;
    for (const track of this.localStream.getTracks()) pc.addTrack(track, this.localStream);
    // Negotiated on both sides with the same id, so it rides the first offer / answer with no extra
    // signaling; a mesh uses it to tell each peer who else is in the call.
    const channel = pc.createDataChannel('parley', { negotiated: true, id: 0 });
    channel.onopen = () => this.emit('data_open', { callId: this.id });
    channel.onmessage = (event) => {
      if (typeof event.data === 'string') this.emit('data', event.data);
    };
    this.channel = channel;
    pc.ontrack = (event) => {
      this.remoteStream = event.streams[0] ?? new MediaStream([event.track]);
      this.emit('remote_stream', this.remoteStream);
    };
    pc.onicecandidate = (event) => this.queueCandidate(event.candidate ? event.candidate.toJSON() : { candidate: '' });
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') this.setState('connected');
      if (pc.connectionState === 'failed') pc.restartIce();
    };
    // Renegotiation after the first exchange (camera added, ICE restart) goes through call_negotiate.
    pc.onnegotiationneeded = async () => {
      if (this.state !== 'connected' && this.state !== 'connecting') return;
      if (!pc.remoteDescription) return;
      await this.unlessEnded(async () => {
        try {
          this.makingOffer = true;
          await this.untilEnded(pc.setLocalDescription());
          this.env.send({ type: 'call_negotiate', call_id: this.id, party_id: this.partyId, description: { type: 'offer', sdp: pc.localDescription!.sdp } });
        } finally {
          this.makingOffer = false;
        }
      });
    };
  }

  private async addCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    if (!this.pc?.remoteDescription) {
      this.pendingCandidates.push(candidate);
      return;
    }
    try {
      await this.untilEnded(this.pc.addIceCandidate(candidate.candidate ? candidate : undefined));
    } catch (err) {
      if (err instanceof CallEnded || !this.ignoreOffer) throw err;
    }
  }

  private async drainCandidates(): Promise<void> {
    for (const c of this.pendingCandidates.splice(0)) await this.addCandidate(c);
  }

  private queueCandidate(candidate: RTCIceCandidateInit): void {
    this.outbox.push(candidate);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      const candidates = this.outbox.splice(0);
      if (candidates.length > 0 && this.state !== 'ended') {
        this.env.send({ type: 'call_candidates', call_id: this.id, party_id: this.partyId, candidates: candidates.map(toWire) });
      }
    }, CANDIDATE_BATCH_MS);
  }

  private replaceVideo(track: MediaStreamTrack): Promise<void> {
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === 'video');
    return sender ? sender.replaceTrack(track) : Promise.resolve();
  }

  /**
   * Waits for a peer-connection operation, or until the call ends: a closed
   * RTCPeerConnection never settles the operations it had pending (WebRTC
   * spec), so a hang-up in the middle of one (glare does exactly that) must
   * not leave its caller waiting forever.
   */
  private async untilEnded<T>(op: Promise<T>): Promise<T> {
    const result = await Promise.race([op, this.endedSignal]);
    if (result === ENDED) throw new CallEnded();
    return result as T;
  }

  /** Runs a public step; one that the call's end overtook stops quietly. */
  private async unlessEnded(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (err) {
      if (!(err instanceof CallEnded)) throw err;
    }
  }

  private setState(state: CallState): void {
    if (this.state === state || this.state === 'ended') return;
    this.state = state;
    this.emit('state', state);
  }

  /** Ends locally: closes the connection and stops this device's media. */
  end(reason: CallHangupReason): void {
    if (this.state === 'ended') return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.pc?.close();
    if (this.ownsStream) for (const t of this.localStream?.getTracks() ?? []) t.stop();
    this.setState('ended');
    this.markEnded();
    this.emit('ended', { reason });
  }
}

function toWire(c: RTCIceCandidateInit) {
  return { candidate: c.candidate ?? '', sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null };
}
