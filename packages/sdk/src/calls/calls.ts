import type { CallPushFrame, CallRelayFrame, ConversationId, UserId } from '@parley/protocol';
import { Emitter } from '../emitter.ts';
import { CallSession, type CallEnvironment, type CallMediaOptions } from './call-session.ts';
import { MeshCall } from './mesh-call.ts';

/** Most peers in a mesh group call (each pair is its own 1:1 call). */
export const MAX_MESH_PEERS = 3;
const DEFAULT_LIFETIME_MS = 60_000;

/** Events of `client.calls`: an incoming call rang. */
export interface CallsEvents {
  /**
   * A call (one leg) rings this device: `accept()` or `reject()` it. Not
   * emitted for a leg that joins a call this device is in (see `ringing`).
   */
  incoming: CallSession;
  /**
   * A call rings this device, as the user sees it: every leg from one
   * conversation that rings at once, answered or declined together. Listen
   * to this or to `incoming`, not both.
   */
  ringing: MeshCall;
  /** A call of this device ended (hung up, rejected, timed out, answered elsewhere). */
  ended: CallSession;
  /** Glare settled in favour of the other side's call: `next` (answered already) takes the place of `previous`. */
  replaced: { previous: CallSession; next: CallSession };
}

export interface CallsOptions {
  env: Omit<CallEnvironment, 'send'>;
  send: (frame: CallRelayFrame) => void;
  me: () => UserId | null;
  randomUUID: () => string;
}

/**
 * The calls of this device. Rings on invites, resolves glare (both sides
 * calling each other at once: the call with the smaller id survives on both
 * sides, the other is dropped), and runs group calls as a mesh of 1:1 calls.
 *
 * @example
 * ```ts
 * client.calls.on('incoming', (call) => showRinging(call));
 * const call = await client.calls.start(conversationId, { video: true, invitee: bobId });
 * ```
 */
export class Calls extends Emitter<CallsEvents> {
  private readonly sessions = new Map<string, CallSession>();
  private readonly meshes = new Set<MeshCall>();
  /** This device's party id: one per client instance. */
  readonly partyId: string;

  constructor(private readonly options: CallsOptions) {
    super();
    this.partyId = options.randomUUID();
  }

  /** Calls `invitee` (the other member, in a direct conversation) and returns the outgoing call. */
  async start(
    conversationId: ConversationId,
    options: { invitee: UserId; video?: boolean; lifetimeMs?: number; stream?: MediaStream; groupCallId?: string },
  ): Promise<CallSession> {
    const me = this.options.me();
    if (!me) throw new Error('log in before calling');
    const session = this.track(
      new CallSession(this.env(), this.options.randomUUID(), conversationId, me, options.invitee, this.partyId, 'outgoing', options.video ?? false),
    );
    session.groupCallId = options.groupCallId ?? null;
    await session.start(options.lifetimeMs ?? DEFAULT_LIFETIME_MS, { stream: options.stream });
    return session;
  }

  /**
   * Calls `peers` (the other member of a direct conversation, or up to three
   * members of a group) as one call: one leg each, sharing this device's
   * media, which grows into a full mesh as they answer (see {@link MeshCall}).
   */
  async startMesh(conversationId: ConversationId, peers: UserId[], options: { video?: boolean; groupCallId?: string } = {}): Promise<MeshCall> {
    const me = this.options.me();
    if (!me) throw new Error('log in before calling');
    if (peers.length === 0) throw new Error('name someone to call');
    if (peers.length > MAX_MESH_PEERS) throw new Error(`a mesh call has at most ${MAX_MESH_PEERS + 1} participants`);
    // Joining a call in progress (`groupCallId` from the log) keeps its id, so it stays one call in the log.
    const mesh = this.trackMesh(new MeshCall(this.meshHost(), options.groupCallId ?? this.options.randomUUID(), conversationId, me, me, options.video ?? false, 'outgoing'));
    try {
      await mesh.start(peers);
    } catch (err) {
      mesh.hangup('user_media_failed');
      throw err;
    }
    return mesh;
  }

  /**
   * A mesh group call as separate legs: one 1:1 call to each of up to three
   * other members, each taking its own media, with no joining of late legs.
   * @deprecated Use {@link Calls.startMesh}, which shares one stream and grows into a full mesh.
   */
  startGroup(conversationId: ConversationId, memberIds: UserId[], options: { video?: boolean } = {}): Promise<CallSession[]> {
    if (memberIds.length > MAX_MESH_PEERS) throw new Error(`a mesh call has at most ${MAX_MESH_PEERS + 1} participants`);
    return Promise.all(memberIds.map((invitee) => this.start(conversationId, { invitee, video: options.video })));
  }

  active(): CallSession[] {
    return [...this.sessions.values()];
  }

  /** The mesh calls of this device that have not ended (ringing or joined). */
  activeMeshes(): MeshCall[] {
    return [...this.meshes];
  }

  /** A call frame from the socket. */
  onFrame(frame: CallPushFrame): void {
    if (frame.type === 'call_invite') return this.onInvite(frame);
    void this.sessions.get(frame.call_id)?.onFrame(frame);
  }

  /** The socket went away for good (logout): end everything locally. */
  reset(): void {
    for (const m of this.meshes) m.hangup();
    for (const s of this.sessions.values()) s.end('user_hangup');
    this.sessions.clear();
  }

  private onInvite(frame: Extract<CallPushFrame, { type: 'call_invite' }>): void {
    const me = this.options.me();
    if (!me || this.sessions.has(frame.call_id) || frame.sender_id === me) return;
    // Glare: we are calling the same person in the same conversation right now.
    const crossing = [...this.sessions.values()].find(
      (s) => s.direction === 'outgoing' && s.state !== 'ended' && !s.peerPartyId && s.peer === frame.sender_id && s.conversationId === frame.conversation_id,
    );
    if (crossing && crossing.id < frame.call_id) return; // ours survives; the other side drops theirs and answers ours
    const session = this.track(
      new CallSession(this.env(), frame.call_id, frame.conversation_id, me, frame.sender_id, this.partyId, 'incoming', frame.offer.sdp.includes('m=video'), frame.offer),
    );
    session.groupCallId = frame.group_call_id ?? null;
    if (crossing) {
      // Before the hangup, so a mesh holding the crossing call swaps legs instead of losing one.
      this.emit('replaced', { previous: crossing, next: session });
      crossing.hangup('user_hangup');
      const media: CallMediaOptions = { video: crossing.video, stream: crossing.sharedStream ?? undefined };
      void session.accept(media);
      return;
    }
    // A leg of a call this device is in (a mesh growing), or one more caller of a call that rings here.
    const mesh = [...this.meshes].find((m) => m.claims(session));
    if (mesh?.state === 'joined') return mesh.take(session);
    this.emit('incoming', session);
    if (mesh) return mesh.take(session);
    // The mesh this device joins keeps the caller's group call id, so the legs it adds show as the same call.
    const ringing = this.trackMesh(new MeshCall(this.meshHost(), session.groupCallId ?? session.id, session.conversationId, me, session.peer, session.video, 'incoming'));
    ringing.take(session);
    this.emit('ringing', ringing);
  }

  private trackMesh(mesh: MeshCall): MeshCall {
    this.meshes.add(mesh);
    const offReplaced = this.on('replaced', ({ previous, next }) => {
      if (mesh.has(previous)) mesh.replace(previous, next);
    });
    mesh.once('ended', () => {
      offReplaced();
      this.meshes.delete(mesh);
    });
    return mesh;
  }

  private meshHost() {
    return {
      mediaDevices: this.options.env.mediaDevices,
      invite: (conversationId: ConversationId, peer: UserId, media: { video: boolean; stream: MediaStream }, groupCallId: string) =>
        this.start(conversationId, { invitee: peer, video: media.video, stream: media.stream, groupCallId }),
    };
  }

  private track(session: CallSession): CallSession {
    this.sessions.set(session.id, session);
    session.on('ended', () => {
      this.sessions.delete(session.id);
      this.emit('ended', session);
    });
    return session;
  }

  private env(): CallEnvironment {
    return { ...this.options.env, send: this.options.send };
  }
}
