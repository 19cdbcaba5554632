import type { ConversationId, ServerFrame, UserId } from '@parley/protocol';
import type { Logger } from 'pino';
import { isRoomChannel, roomChannel, userChannel, type Bus } from './bus.ts';
import { activeTracer } from '../tracing/tracer.ts';
import { tracePublish } from '../tracing/spans.ts';
import { encodeControl, encodeUserFrame, type ControlMessage } from './control.ts';
import type { FanOutPolicy } from './fan-out-policy.ts';

/**
 * How capabilities push frames to users' devices, wherever they are connected.
 * The frame is serialised once; the same string goes to every channel.
 * Which channels a conversation's frames take is the FanOutPolicy's call.
 * Publishing never throws: the data is already durable, and a lost push is
 * repaired by the client's gap fill.
 */
export class Notifier {
  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    readonly policy: FanOutPolicy,
  ) {}

  toUsers(userIds: Iterable<UserId>, frame: ServerFrame): void {
    const payload = encodeUserFrame(conversationOf(frame), JSON.stringify(frame));
    for (const id of userIds) this.publish(userChannel(id), payload, frame.type);
  }

  /**
   * To the members of a conversation, on the channels the fan-out policy
   * picks for its size (`memberIds` null: a large room whose members were not loaded).
   */
  toConversation(conversationId: ConversationId, memberIds: readonly UserId[] | null, frame: ServerFrame): void {
    const json = JSON.stringify(frame);
    // A room channel names its conversation; a user channel's payload says it (bus/control.ts).
    let onUsers: string | undefined;
    for (const channel of this.policy.channelsFor(conversationId, memberIds)) {
      this.publish(channel, isRoomChannel(channel) ? json : (onUsers ??= encodeUserFrame(conversationId, json)), frame.type);
    }
  }

  /** To every member of a large room, through its room channel. */
  toRoom(conversationId: ConversationId, frame: ServerFrame): void {
    this.publish(roomChannel(conversationId), JSON.stringify(frame), frame.type);
  }

  /** An internal signal to the hubs holding the users' sockets (never reaches a client). */
  control(userIds: Iterable<UserId>, message: ControlMessage): void {
    const payload = encodeControl(message);
    for (const id of userIds) this.publish(userChannel(id), payload, `control:${message.type}`);
  }

  /**
   * After a membership change: each user's sockets follow the conversation's
   * room channel (listen or stop), before the frames that announce the change.
   * `memberCount` null: these users left the conversation.
   */
  membershipChanged(userIds: Iterable<UserId>, conversationId: ConversationId, memberCount: number | null): void {
    this.control(userIds, this.policy.membershipControl(conversationId, memberCount));
  }

  /** Publishes an already-serialised payload on one channel. */
  publish(channel: string, payload: string, what?: string): void {
    // Tracing hook: a publish span when tracing is on (the check keeps the off path allocation-free).
    const published =
      activeTracer() === null ? this.bus.publish(channel, payload) : tracePublish(channel, what, () => this.bus.publish(channel, payload));
    published.catch((err: unknown) => {
      this.log.warn({ err, frame: what }, 'bus publish failed');
    });
  }
}

/** The conversation a frame is about, if any: its `conversation_id`, or the `conversation` it describes. */
function conversationOf(frame: ServerFrame): ConversationId | null {
  const f = frame as { conversation_id?: unknown; conversation?: { id?: unknown } };
  const id = f.conversation_id ?? f.conversation?.id;
  return typeof id === 'string' ? id : null;
}
