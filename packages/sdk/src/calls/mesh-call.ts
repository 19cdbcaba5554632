import type { CallHangupReason, ConversationId, UserId } from '@parley/protocol';
import { Emitter } from '../emitter.ts';
import type { CallSession } from './call-session.ts';
import { parseMeshStatus, type LegState, type MeshStatus } from './mesh-status.ts';

/** One other person in a call, as this device sees them. */
export interface MeshParticipant {
  id: UserId;
  /** `ringing`: invited, not answered yet; `left`: declined, missed, busy or hung up (see `reason`). */
  state: 'ringing' | 'connecting' | 'connected' | 'left';
  reason: CallHangupReason | null;
  /** Their audio and video, once it arrives. */
  stream: MediaStream | null;
  /** What they say of their own media (null until they say): muted, and sending video (camera or screen). */
  muted: boolean | null;
  video: boolean | null;
}

/** Events of a `MeshCall`: something shown changed (a participant's state or media, the call's state), or the call ended. */
export interface MeshCallEvents {
  /** Something shown changed: a participant's state or media, this device's media, the call's state. */
  change: MeshCall;
  ended: { reason: CallHangupReason };
}

/** What a mesh needs from the device's calls: the media devices, and a way to call one more member. */
export interface MeshHost {
  mediaDevices: Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'>;
  invite(conversationId: ConversationId, peer: UserId, media: { video: boolean; stream: MediaStream }, groupCallId: string): Promise<CallSession>;
}

/**
 * A call as the user sees it: one or more 1:1 legs (calls) in one
 * conversation, all sending one shared local stream. A direct call has one
 * leg; a group call is a mesh with a leg per other participant (at most
 * {@link MAX_MESH_PEERS}).
 *
 * How a late joiner meshes: every participant tells each peer, over the leg's
 * data channel, the state of its other legs (`MeshStatus`). A joined
 * participant that hears of someone who has answered (connecting or connected)
 * and with whom it never had a leg calls them if its user id is the smaller of
 * the two; the other waits for that call, and takes it without ringing, since
 * it is joined in this conversation's call. So everyone who answers ends up
 * connected to everyone else who did, whenever they answered; nobody who
 * declined, missed or left is rung again (no one reports them); and the id
 * order means the two never call each other at once.
 *
 * @example
 * ```ts
 * const call = await client.calls.startMesh(groupId, memberIds, { video: true });
 * call.on('change', () => render(call.participants()));
 * call.setMuted(true);
 * call.hangup();
 * ```
 */
export class MeshCall extends Emitter<MeshCallEvents> {
  /** `ringing`: incoming, not accepted yet; `joined`: started or accepted here. */
  state: 'ringing' | 'joined' | 'ended';
  /** This device's shared stream (audio, and the camera in a video call), once taken. */
  localStream: MediaStream | null = null;
  muted = false;
  cameraOn: boolean;
  sharing = false;
  /** The current (or last) leg with each peer, in the order they appeared. */
  private readonly legs = new Map<UserId, CallSession>();
  private readonly leftFor = new Map<UserId, CallHangupReason>();
  /** What each peer last said about its own legs and media. */
  private readonly statuses = new Map<UserId, MeshStatus>();
  /** Peers called because someone said they joined: they connect rather than ring. */
  private readonly meshLegs = new Set<UserId>();
  private screen: MediaStreamTrack | null = null;
  /** Invites on their way out: the call does not end for want of legs while some are. */
  private inviting = 0;
  /** The status last sent on each leg: sent again only when it changes (else peers would echo forever). */
  private readonly sent = new WeakMap<CallSession, string>();

  constructor(
    private readonly host: MeshHost,
    /**
     * The group call's id: every leg this device sends carries it (each leg
     * has its own call id on the wire), so the log shows one call. A new
     * call's own; for one that rang here, the caller's.
     */
    readonly id: string,
    readonly conversationId: ConversationId,
    readonly me: UserId,
    /** Who started it: this user for an outgoing call, else who rang first. */
    readonly caller: UserId,
    readonly video: boolean,
    readonly direction: 'outgoing' | 'incoming',
  ) {
    super();
    this.state = direction === 'outgoing' ? 'joined' : 'ringing';
    this.cameraOn = video;
  }

  /** Outgoing: takes the media once and calls each peer. */
  async start(peers: UserId[]): Promise<void> {
    this.localStream = await this.host.mediaDevices.getUserMedia({ audio: true, video: this.video });
    await Promise.all(peers.map((peer) => this.invite(peer)));
    this.endIfAlone();
  }

  /** Incoming: takes the media and answers every leg that rings. */
  async accept(): Promise<void> {
    if (this.state !== 'ringing') return;
    this.state = 'joined';
    this.changed();
    try {
      this.localStream = await this.host.mediaDevices.getUserMedia({ audio: true, video: this.video });
    } catch (err) {
      this.hangup('user_media_failed');
      throw err;
    }
    if (this.state !== 'joined') return this.stopMedia(); // hung up, or every caller gave up, meanwhile
    for (const leg of this.legs.values()) if (leg.state === 'ringing') this.acceptLeg(leg);
  }

  decline(): void {
    if (this.state !== 'ringing') return;
    for (const leg of this.legs.values()) leg.reject();
    this.finish('user_rejected');
  }

  hangup(reason: CallHangupReason = 'user_hangup'): void {
    if (this.state === 'ended') return;
    for (const leg of this.legs.values()) leg.hangup(reason);
    this.finish(reason);
  }

  /** Whether an invite for this call belongs here rather than ringing on its own. */
  claims(session: CallSession): boolean {
    if (this.state === 'ended' || session.conversationId !== this.conversationId) return false;
    const current = this.legs.get(session.peer);
    return this.state === 'ringing' || !current || current.state === 'ended';
  }

  /** An invite it claims: rings along while ringing, or is answered at once when joined. */
  take(session: CallSession): void {
    this.track(session);
    if (this.state === 'joined' && this.localStream) this.acceptLeg(session);
    this.changed();
  }

  /** Glare: `next` (their call) replaced `previous` (ours); Calls has answered it already. */
  replace(previous: CallSession, next: CallSession): void {
    if (this.legs.get(previous.peer) === previous) this.track(next);
  }

  has(session: CallSession): boolean {
    return this.legs.get(session.peer) === session;
  }

  /** Everyone else in the call: those with a leg, and those other peers say are ringing or joining. */
  participants(): MeshParticipant[] {
    const out: MeshParticipant[] = [];
    for (const [id, leg] of this.legs) {
      const told = this.statuses.get(id);
      out.push({
        id,
        state: this.stateOf(id, leg),
        reason: leg.state === 'ended' ? (this.leftFor.get(id) ?? 'user_hangup') : null,
        stream: leg.state === 'ended' ? null : leg.remoteStream,
        muted: leg.state === 'ended' ? null : (told?.muted ?? null),
        video: leg.state === 'ended' ? null : (told?.video ?? null),
      });
    }
    for (const [id, reason] of this.leftFor) {
      if (!this.legs.has(id)) out.push({ id, state: 'left', reason, stream: null, muted: null, video: null });
    }
    for (const [id, heard] of this.heard()) {
      out.push({ id, state: heard === 'ringing' ? 'ringing' : 'connecting', reason: null, stream: null, muted: null, video: null });
    }
    return out;
  }

  setMuted(muted: boolean): void {
    for (const t of this.localStream?.getAudioTracks() ?? []) t.enabled = !muted;
    this.muted = muted;
    this.changed();
  }

  setCamera(on: boolean): void {
    for (const t of this.localStream?.getVideoTracks() ?? []) t.enabled = on;
    this.cameraOn = on;
    this.changed();
  }

  /** Sends the screen instead of the camera to every peer until the share ends (or `stopScreen`). */
  async shareScreen(): Promise<void> {
    const track = (await this.host.mediaDevices.getDisplayMedia({ video: true })).getVideoTracks()[0];
    if (!track || this.state === 'ended') return track?.stop();
    this.screen = track;
    this.sharing = true;
    track.addEventListener('ended', () => void this.stopScreen());
    await this.eachLeg((leg) => leg.replaceTrack('video', track));
    this.changed();
  }

  async stopScreen(): Promise<void> {
    const screen = this.screen;
    if (!screen) return;
    this.screen = null;
    this.sharing = false;
    const camera = this.localStream?.getVideoTracks()[0];
    if (camera) await this.eachLeg((leg) => leg.replaceTrack('video', camera));
    screen.stop();
    this.changed();
  }

  /** Switches every leg to another microphone or camera (an id from enumerateDevices). */
  async useDevice(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    const local = this.localStream;
    if (!local) return;
    const track = (await this.host.mediaDevices.getUserMedia({ [kind]: { deviceId: { exact: deviceId } } })).getTracks()[0];
    if (!track) return;
    const old = kind === 'audio' ? local.getAudioTracks()[0] : local.getVideoTracks()[0];
    track.enabled = old ? old.enabled : true;
    // While the screen is shared the camera waits: stopScreen puts the new one back.
    if (!(kind === 'video' && this.screen)) await this.eachLeg((leg) => leg.replaceTrack(kind, track));
    // A new stream object, so a preview showing the old one notices.
    this.localStream = new MediaStream([...local.getTracks().filter((t) => t !== old), track]);
    old?.stop();
    this.changed();
  }

  /** The device in use for a kind of media (a deviceId from enumerateDevices), if known. */
  deviceOf(kind: 'audio' | 'video'): string | null {
    const track = kind === 'audio' ? this.localStream?.getAudioTracks()[0] : this.localStream?.getVideoTracks()[0];
    return track?.getSettings().deviceId ?? null;
  }

  private stateOf(id: UserId, leg: CallSession): MeshParticipant['state'] {
    if (leg.state === 'ended') return 'left';
    if (leg.state === 'ringing') return 'ringing';
    if (leg.direction === 'outgoing' && !leg.peerPartyId) return this.meshLegs.has(id) ? 'connecting' : 'ringing';
    return leg.state;
  }

  /** Peers without a leg here that others report, with the most advanced state any of them reports. */
  private heard(): Map<UserId, LegState> {
    const rank: Record<LegState, number> = { ringing: 0, connecting: 1, connected: 2 };
    const out = new Map<UserId, LegState>();
    for (const [reporter, status] of this.statuses) {
      if (this.legs.get(reporter)?.state === 'ended') continue;
      for (const [id, state] of Object.entries(status.peers)) {
        if (id === this.me || this.legs.has(id) || this.leftFor.has(id)) continue;
        const known = out.get(id);
        if (!known || rank[state] > rank[known]) out.set(id, state);
      }
    }
    return out;
  }

  private async invite(peer: UserId): Promise<void> {
    this.inviting++;
    try {
      const leg = await this.host.invite(this.conversationId, peer, { video: this.video, stream: this.outgoing() }, this.id);
      if (this.state === 'ended') leg.hangup();
      else this.track(leg);
    } catch {
      // No leg (the ICE servers could not be fetched, the socket is gone): they show as left.
      if (!this.legs.has(peer)) this.leftFor.set(peer, 'unknown_error');
    } finally {
      this.inviting--;
    }
    this.changed();
  }

  private acceptLeg(leg: CallSession): void {
    leg.accept({ video: this.video, stream: this.outgoing() }).catch(() => leg.hangup('unknown_error'));
  }

  /** What a new leg sends: the shared stream, with the screen in place of the camera while sharing. */
  private outgoing(): MediaStream {
    const local = this.localStream!;
    return this.screen ? new MediaStream([...local.getAudioTracks(), this.screen]) : local;
  }

  private track(leg: CallSession): void {
    this.legs.set(leg.peer, leg);
    const mine = () => this.legs.get(leg.peer) === leg;
    const update = () => mine() && this.changed();
    leg.on('state', update);
    leg.on('answered', update);
    leg.on('remote_stream', update);
    leg.on('data_open', () => mine() && this.state === 'joined' && this.sendStatus(leg));
    leg.on('data', (text) => {
      const status = parseMeshStatus(text);
      if (!status || !mine()) return;
      this.statuses.set(leg.peer, status);
      this.meshWithReported(status);
      this.changed();
    });
    leg.on('ended', ({ reason }) => {
      if (!mine()) return;
      this.leftFor.set(leg.peer, reason);
      this.statuses.delete(leg.peer);
      if (this.state === 'ringing' && ![...this.legs.values()].some((l) => l.state === 'ringing')) return this.finish(reason);
      this.endIfAlone();
      this.changed();
    });
  }

  /** A joined call ends when no leg is left (and none is being placed): nobody else remains. */
  private endIfAlone(): void {
    if (this.state === 'joined' && this.inviting === 0 && ![...this.legs.values()].some((l) => l.state !== 'ended')) this.finish('user_hangup');
  }

  /** See the class comment: call those who joined and whom we never had a leg with, when our id is smaller. */
  private meshWithReported(status: MeshStatus): void {
    if (this.state !== 'joined' || !this.localStream) return;
    for (const [id, state] of Object.entries(status.peers)) {
      if (state === 'ringing' || id === this.me || this.legs.has(id) || this.meshLegs.has(id) || !(this.me < id)) continue;
      this.meshLegs.add(id);
      void this.invite(id);
    }
  }

  /** Tells every peer the state of our other legs and our media, where it changed (or opened: `fresh`). */
  private sendStatus(fresh?: CallSession): void {
    for (const leg of this.legs.values()) {
      if (leg.state === 'ended') continue;
      const peers: Record<UserId, LegState> = {};
      for (const [id, other] of this.legs) {
        const state = this.stateOf(id, other);
        if (other !== leg && state !== 'left') peers[id] = state;
      }
      const status: MeshStatus = { v: 1, type: 'status', peers, muted: this.muted, video: this.video && (this.cameraOn || this.sharing) };
      const text = JSON.stringify(status);
      if (leg !== fresh && this.sent.get(leg) === text) continue;
      if (leg.sendData(text)) this.sent.set(leg, text);
    }
  }

  private async eachLeg(action: (leg: CallSession) => Promise<void>): Promise<void> {
    await Promise.all([...this.legs.values()].filter((l) => l.state !== 'ended').map((l) => action(l).catch(() => undefined)));
  }

  private changed(): void {
    if (this.state === 'joined') this.sendStatus();
    this.emit('change', this);
  }

  private stopMedia(): void {
    for (const t of this.localStream?.getTracks() ?? []) t.stop();
    this.screen?.stop();
    this.screen = null;
  }

  private finish(reason: CallHangupReason): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.stopMedia();
    this.emit('change', this);
    this.emit('ended', { reason });
  }
}
