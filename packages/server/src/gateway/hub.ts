import { CloseCodes, type UserId } from '@parley/protocol';
import type { Logger } from 'pino';
import { isRoomChannel, presenceChannel, roomChannel, userChannel, type Bus, type Unsubscribe } from '../bus/bus.ts';
import { decodeUserPayload, type ControlMessage } from '../bus/control.ts';
import type { FanOutPolicy } from '../bus/fan-out-policy.ts';
import type { Connection } from './connection.ts';
import { startDeliverySpan } from '../tracing/spans.ts';
import { OTHER_PUSH, PRESENCE_PUSH, type PushSubject } from '../bots/scope.ts';
import { prepareTextFrame, type PreparedFrame } from './prepared-frame.ts';
import { RoomBatcher } from './room-batcher.ts';
import { writeCoalescer } from './write-coalescer.ts';

interface LocalChannel {
  connections: Set<Connection>;
  subscription: Promise<Unsubscribe>;
  /** A large room's channel: its frames are written in batches (room-batcher.ts). */
  batcher: RoomBatcher | null;
}

const MESSAGE_FRAME_PREFIX = '{"type":"message"';
// The entry's own created_at key: inside message text a quote is escaped (\"), so text never matches.
const CREATED_AT = /"created_at":"([^"]+)"/;

/** A message payload's created_at in ms since the epoch; NaN for any other payload. */
const createdAtOf = (payload: string): number =>
  payload.startsWith(MESSAGE_FRAME_PREFIX) ? Date.parse(CREATED_AT.exec(payload)?.[1] ?? '') : Number.NaN;

/**
 * The sockets of this instance and the bus channels they need. A channel is
 * subscribed on the bus while at least one local socket needs it: the user's
 * own channel, the room channels of the user's large conversations (which
 * ones is the FanOutPolicy's call), and the presence channels the socket
 * watches. So the instance never receives traffic it would throw away, and a
 * frame from the bus is written unchanged to each socket of the channel.
 * Control messages on a user channel (session ended, presence to drop, room
 * channel to follow) are acted on here and never reach a socket. A large
 * room's frames are written in batches, in order (room-batcher.ts).
 */
export class Hub {
  private readonly channels = new Map<string, LocalChannel>();
  private readonly users = new Map<UserId, Set<Connection>>();
  /** Room-channel look-ups in flight, shared by the user's sockets connecting meanwhile. */
  private readonly loadingRooms = new Map<UserId, Promise<string[]>>();

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly policy: FanOutPolicy,
    /** Told, once per message payload, the seconds from the entry's created_at to its hand-over to this instance's sockets. */
    private readonly onDelivered: (seconds: number) => void = () => {},
  ) {}

  /** Registers a socket; resolves once its channels are listened to, so nothing sent after is missed. */
  async add(conn: Connection): Promise<void> {
    let mine = this.users.get(conn.userId);
    if (!mine) this.users.set(conn.userId, (mine = new Set()));
    mine.add(conn);
    const channels = await this.channelsOf(conn.userId, mine);
    await Promise.all(channels.map((channel) => this.join(channel, conn)));
  }

  /**
   * The user and room channels a user's socket must hear. They are the same
   * for all of the user's sockets, and kept current by `room` control
   * messages: a socket already set up on this instance tells them without a
   * database query.
   */
  private channelsOf(userId: UserId, mine: Set<Connection>): Promise<string[]> {
    const loading = this.loadingRooms.get(userId);
    if (loading) return loading;
    const mainChannel = userChannel(userId);
    for (const other of mine) {
      if (other.channels.has(mainChannel)) return Promise.resolve([mainChannel, ...this.policy.roomChannelsAmong(other.channels)]);
    }
    const query = this.policy.channelsOf(userId).finally(() => this.loadingRooms.delete(userId));
    this.loadingRooms.set(userId, query);
    return query;
  }

  remove(conn: Connection): void {
    for (const channel of [...conn.channels]) this.leave(channel, conn);
    const mine = this.users.get(conn.userId);
    if (mine?.delete(conn) && mine.size === 0) this.users.delete(conn.userId);
  }

  /** Makes `conn` hear `channel`, subscribing on the bus if it is the channel's first local socket. */
  async join(channel: string, conn: Connection): Promise<void> {
    if (conn.closed) return;
    let local = this.channels.get(channel);
    if (!local) {
      const connections = new Set<Connection>();
      const batcher = isRoomChannel(channel) ? this.roomBatcher(channel, connections) : null;
      const subscription = this.bus.subscribe(channel, (payload) => this.deliver(channel, connections, batcher, payload));
      local = { connections, subscription, batcher };
      this.channels.set(channel, local);
    }
    // Frames published before this socket joined go to the sockets that were there.
    local.batcher?.flush();
    local.connections.add(conn);
    conn.channels.add(channel);
    await local.subscription;
  }

  leave(channel: string, conn: Connection): void {
    conn.channels.delete(channel);
    const local = this.channels.get(channel);
    if (!local) return;
    // ...and frames published while it was there still go to it (unless it is gone).
    if (!conn.closed) local.batcher?.flush();
    if (!local.connections.delete(conn) || local.connections.size > 0) return;
    this.channels.delete(channel);
    local.subscription
      .then((unsubscribe) => unsubscribe())
      .catch((err: unknown) => this.log.warn({ err, channel }, 'bus unsubscribe failed'));
  }

  /** A room channel's batches: each written to every socket of the room, then flushed at once (the batcher measures the cost). */
  private roomBatcher(channel: string, connections: Set<Connection>): RoomBatcher {
    const subject: PushSubject = { kind: 'conversation', id: channel.slice('room:'.length) };
    return new RoomBatcher((frames: PreparedFrame, createdAt: readonly number[]) => {
      const span = startDeliverySpan(channel, connections.size);
      for (const conn of connections) conn.push(frames, subject);
      writeCoalescer.flush();
      span?.end();
      // Delivered when written, after the batch's wait (not when it was handed to the batcher).
      for (const at of createdAt) this.observeDelivery(at);
    });
  }

  private deliver(channel: string, connections: Set<Connection>, batcher: RoomBatcher | null, payload: string): void {
    if (batcher) {
      // A large room: framed once, written with the room's next batch (which observes its delivery).
      batcher.add(prepareTextFrame(payload), createdAtOf(payload));
      return;
    }
    // What the payload is about, for scoped (bot) sockets: known from the channel or its envelope, never parsed.
    let subject: PushSubject = PRESENCE_PUSH;
    if (channel.startsWith('user:')) {
      const decoded = decodeUserPayload(payload);
      if (decoded.kind === 'control') return this.obey(channel.slice('user:'.length), connections, decoded.message);
      payload = decoded.payload;
      subject = decoded.conversationId === null ? OTHER_PUSH : { kind: 'conversation', id: decoded.conversationId };
    }
    // Tracing hook (src/tracing): the delivery span on this instance, child of
    // the publish (possibly on another instance); undefined unless sampled.
    const span = startDeliverySpan(channel, connections.size);
    // Encoded and framed once here, not once per socket by ws.
    const frame = prepareTextFrame(payload);
    for (const conn of connections) conn.push(frame, subject);
    span?.end();
    this.observeDelivery(createdAtOf(payload));
  }

  /** Observes a message's delivery to this instance's sockets (NaN: the payload was not a message). */
  private observeDelivery(createdAt: number): void {
    if (Number.isFinite(createdAt)) this.onDelivered(Math.max(0, Date.now() - createdAt) / 1000);
  }

  /** Sockets the user has on this instance. */
  countOf(userId: UserId): number {
    return this.users.get(userId)?.size ?? 0;
  }

  /** Acts on a control message for the user's sockets on this instance (`connections`: those on its user channel). */
  private obey(userId: UserId, connections: Set<Connection>, message: ControlMessage): void {
    switch (message.type) {
      case 'revoke':
        for (const conn of connections) {
          if (message.sessionId === null || conn.sessionId === message.sessionId) conn.close(CloseCodes.unauthenticated, 'session ended');
        }
        return;
      case 'unwatch': {
        // The user no longer shares a conversation with these users: its sockets stop hearing their presence.
        const channels = message.userIds.map(presenceChannel);
        for (const conn of [...connections]) for (const c of channels) this.leave(c, conn);
        return;
      }
      case 'room': {
        // Joins or leaves a room channel for all of the user's sockets when their membership changes.
        const channel = roomChannel(message.conversationId);
        for (const conn of this.users.get(userId) ?? []) {
          if (message.listen) void this.join(channel, conn);
          else this.leave(channel, conn);
        }
        return;
      }
    }
  }

  *connections(): Iterable<Connection> {
    for (const mine of this.users.values()) yield* mine;
  }

  get connectionCount(): number {
    let n = 0;
    for (const mine of this.users.values()) n += mine.size;
    return n;
  }

  /** Channels this instance listens on (for metrics and tests). */
  get channelCount(): number {
    return this.channels.size;
  }
}
