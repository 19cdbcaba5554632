import type { ConversationId, ServerFrame, UserId } from '@parley/protocol';
import type { Logger } from 'pino';
import { roomChannel, userChannel, type Bus } from './bus.ts';
import { activeTracer } from '../tracing/tracer.ts';
import { tracePublish } from '../tracing/spans.ts';

/**
 * How capabilities push frames to users' devices, wherever they are connected.
 * The frame is serialised once; the same string goes to every channel.
 * Publishing never throws: the data is already durable, and a lost push is
 * repaired by the client's gap fill.
 */
export class Notifier {
  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    /** Conversations with at least this many members publish once on their room channel. */
    private readonly largeRoomThreshold: number,
  ) {}

  toUsers(userIds: Iterable<UserId>, frame: ServerFrame): void {
    const payload = JSON.stringify(frame);
    for (const id of userIds) this.publish(userChannel(id), payload, frame);
  }

  /**
   * To the members of a conversation: one publish on the room channel for a
   * large room (instances with a member connected listen to it), else one per
   * member on their user channels.
   */
  toConversation(conversationId: ConversationId, memberIds: readonly UserId[], frame: ServerFrame): void {
    if (memberIds.length >= this.largeRoomThreshold) {
      this.toRoom(conversationId, frame);
    } else {
      this.toUsers(memberIds, frame);
    }
  }

  /** To every member of a large room, through its room channel. */
  toRoom(conversationId: ConversationId, frame: ServerFrame): void {
    this.publish(roomChannel(conversationId), JSON.stringify(frame), frame);
  }

  /** Publishes an already-serialised frame on one channel. */
  publish(channel: string, payload: string, frame?: ServerFrame): void {
    // Tracing hook: a publish span when tracing is on (the check keeps the off path allocation-free).
    const published =
      activeTracer() === null ? this.bus.publish(channel, payload) : tracePublish(channel, frame?.type, () => this.bus.publish(channel, payload));
    published.catch((err: unknown) => {
      this.log.warn({ err, frame: frame?.type }, 'bus publish failed');
    });
  }
}
