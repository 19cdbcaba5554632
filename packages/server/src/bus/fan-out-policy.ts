import type { ConversationId, UserId } from '@parley/protocol';
import { isRoomChannel, roomChannel, userChannel } from './bus.ts';
import type { ControlMessage } from './control.ts';

/**
 * Who hears a conversation's traffic, and on which channels: the one owner
 * of the fan-out policy. Direct and small group conversations publish once
 * per member on the members' user channels; a large room (at least
 * LARGE_ROOM_THRESHOLD members) publishes once on its room channel, which
 * each instance listens to while it has a member's socket. The writer, the
 * notifier and the hub ask this module instead of comparing member counts
 * themselves.
 */
export class FanOutPolicy {
  constructor(
    /** Conversations with at least this many members are large rooms. */
    readonly largeRoomThreshold: number,
    /** The user's conversations with at least `threshold` members (a query; see conversations-repo). */
    private readonly largeRoomsOf: (userId: UserId, threshold: number) => Promise<ConversationId[]>,
  ) {}

  isLargeRoom(memberCount: number): boolean {
    return memberCount >= this.largeRoomThreshold;
  }

  /**
   * Where a frame for a conversation's members goes: its room channel for a
   * large room, else the user channels of `members`. `members` is null when
   * the caller did not load them because the conversation is a large room
   * (the message writer loads them only below `largeRoomThreshold`).
   */
  channelsFor(conversationId: ConversationId, members: readonly UserId[] | null): string[] {
    if (members === null || this.isLargeRoom(members.length)) return [roomChannel(conversationId)];
    return members.map(userChannel);
  }

  /** The channels every socket of `userId` listens on: its user channel and its large rooms' channels. */
  async channelsOf(userId: UserId): Promise<string[]> {
    const rooms = await this.largeRoomsOf(userId, this.largeRoomThreshold);
    return [userChannel(userId), ...rooms.map(roomChannel)];
  }

  /** Of a socket's channels, those it hears because of its user's rooms (the same for all the user's sockets). */
  roomChannelsAmong(channels: Iterable<string>): string[] {
    return [...channels].filter(isRoomChannel);
  }

  /**
   * What a member's sockets are told after a membership change: listen to the
   * room channel when the conversation (now `memberCount` members, or null
   * when the user left it) is a large room they are in, else stop.
   */
  membershipControl(conversationId: ConversationId, memberCount: number | null): ControlMessage {
    return { type: 'room', conversationId, listen: memberCount !== null && this.isLargeRoom(memberCount) };
  }
}
