import { Type, type Static } from 'typebox';
import { MAX_SYNC_CURSORS, UUID_PATTERN } from './limits.ts';
import type { ErrorCode } from './errors.ts';
import { CallFrames, type CallClientFrame, type CallPushFrame } from './calls.ts';
import type { AttachmentPushFrame } from './attachments.ts';
import { MessageChangeFrames, type MessageChangeFrame } from './message-changes.ts';
import { ThreadPinFrames, type ThreadPinFrame, type ThreadReadPushFrame } from './threads-pins.ts';
import {
  MessageContent,
  SeqSchema,
  Uuid,
  type ConversationId,
  type Mentions,
  type ConversationView,
  type MessageId,
  type MessageView,
  type Seq,
  type UserId,
} from './common.ts';

const RequestId = Type.String({ minLength: 1, maxLength: 64 });

export const SendMessageFrame = Type.Object(
  {
    type: Type.Literal('send_message'),
    id: Type.Optional(RequestId),
    conversation_id: Uuid,
    message: MessageContent,
  },
  { additionalProperties: false },
);

export const SyncFrame = Type.Object(
  {
    type: Type.Literal('sync'),
    id: Type.Optional(RequestId),
    // Keys are conversation ids; anything else is refused before it reaches SQL.
    cursors: Type.Record(Type.String({ pattern: UUID_PATTERN }), SeqSchema, {
      additionalProperties: false,
      maxProperties: MAX_SYNC_CURSORS,
    }),
    /** Most entries replayed per conversation in this page (default 100). */
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);

export const ReceiptFrame = Type.Object(
  {
    type: Type.Union([Type.Literal('delivered'), Type.Literal('read')]),
    id: Type.Optional(RequestId),
    conversation_id: Uuid,
    seq: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  },
  { additionalProperties: false },
);

export const TypingFrame = Type.Object(
  {
    type: Type.Literal('typing'),
    id: Type.Optional(RequestId),
    conversation_id: Uuid,
    state: Type.Union([Type.Literal('start'), Type.Literal('stop')]),
  },
  { additionalProperties: false },
);

export const PresenceSubscribeFrame = Type.Object(
  {
    type: Type.Literal('presence_subscribe'),
    id: Type.Optional(RequestId),
    user_ids: Type.Array(Uuid, { maxItems: 1000, uniqueItems: true }),
  },
  { additionalProperties: false },
);

/** Refreshes a live socket's credentials before its token expires (else it is closed with 4401). */
export const AuthFrame = Type.Object(
  { type: Type.Literal('auth'), id: Type.Optional(RequestId), token: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
);

export const PresenceUnsubscribeFrame = Type.Object(
  {
    type: Type.Literal('presence_unsubscribe'),
    id: Type.Optional(RequestId),
    user_ids: Type.Array(Uuid, { maxItems: 1000, uniqueItems: true }),
  },
  { additionalProperties: false },
);

export const PingFrame = Type.Object(
  { type: Type.Literal('ping'), id: Type.Optional(RequestId) },
  { additionalProperties: false },
);

/** Client → server frames, keyed by `type`. */
export const ClientFrames = {
  ...CallFrames,
  ...MessageChangeFrames,
  ...ThreadPinFrames,
  send_message: SendMessageFrame,
  sync: SyncFrame,
  delivered: ReceiptFrame,
  read: ReceiptFrame,
  typing: TypingFrame,
  presence_subscribe: PresenceSubscribeFrame,
  presence_unsubscribe: PresenceUnsubscribeFrame,
  auth: AuthFrame,
  ping: PingFrame,
} as const;

export type ClientFrameType = keyof typeof ClientFrames;
export type SendMessageFrame = Static<typeof SendMessageFrame>;
export type SyncFrame = Static<typeof SyncFrame>;
export type ReceiptFrame = Static<typeof ReceiptFrame>;
export type TypingFrame = Static<typeof TypingFrame>;
export type PresenceSubscribeFrame = Static<typeof PresenceSubscribeFrame>;
export type PingFrame = Static<typeof PingFrame>;
export type AuthFrame = Static<typeof AuthFrame>;
export type PresenceUnsubscribeFrame = Static<typeof PresenceUnsubscribeFrame>;
export type ClientFrame =
  | CallClientFrame
  | MessageChangeFrame
  | ThreadPinFrame
  | SendMessageFrame
  | SyncFrame
  | ReceiptFrame
  | TypingFrame
  | PresenceSubscribeFrame
  | PresenceUnsubscribeFrame
  | AuthFrame
  | PingFrame;

// Server → client frames.

export interface ReadyFrame {
  type: 'ready';
  user_id: UserId;
  connection_id: string;
  /** Seconds between server heartbeats; a client may treat twice this as dead. */
  heartbeat_interval: number;
}

export interface AckFrame {
  type: 'ack';
  id?: string;
  conversation_id: ConversationId;
  message_id: MessageId;
  seq: Seq;
  created_at: string;
  /** True when this `client_msg_id` had already been stored: the original result is returned. */
  duplicate: boolean;
  /** A fresh send's thread (its root's seq), as the pushed entry says: the sender learns it from the ack. */
  thread_root?: Seq;
  /** Who a fresh send mentions, as the pushed entry says. */
  mentions?: Mentions;
}

export interface ErrorFrame {
  type: 'error';
  id?: string;
  code: ErrorCode;
  message: string;
  retry_after?: number;
}

export interface MessageFrame extends MessageView {
  type: 'message';
  /** True on the entries sent in answer to a `sync` (catch-up), absent on live pushes. */
  replayed?: boolean;
}

export interface ReceiptPushFrame {
  type: 'receipt';
  id?: string;
  conversation_id: ConversationId;
  user_id: UserId;
  delivered_seq: Seq;
  read_seq: Seq;
}

export interface TypingPushFrame {
  type: 'typing';
  conversation_id: ConversationId;
  user_id: UserId;
  state: 'start' | 'stop';
  /** Seconds after which a `start` lapses unless refreshed. */
  expires_in: number;
}

/**
 * A user's presence. Sent for each permitted user in reply to
 * `presence_subscribe` (echoing its id), then on every change. A user may
 * watch the presence of people they share a conversation with; other ids in a
 * subscription are ignored.
 */
export interface PresencePushFrame {
  type: 'presence';
  id?: string;
  user_id: UserId;
  status: 'online' | 'offline';
  last_seen: string | null;
}

export interface ConversationPushFrame {
  type: 'conversation';
  /**
   * `created`: the receiving user joined (their view, members as a preview). `updated`: membership,
   * roles, name or description changed (id, and member_count when it changed; fetch the conversation for details).
   * `removed`: the receiving user is no longer a member.
   */
  event: 'created' | 'updated' | 'removed';
  conversation: ConversationView | { id: ConversationId; member_count?: number };
}

export interface SyncedFrame {
  type: 'synced';
  id?: string;
  /** True when at least one conversation has more to replay: send `sync` again with the new cursors. */
  limited: boolean;
  /** The cursor each conversation has reached after this page. */
  cursors: Record<ConversationId, Seq>;
  /** Listed conversations the caller is not a member of (left, removed, or unknown): forget them. */
  removed: ConversationId[];
}

/**
 * Ends the reply to `presence_subscribe` (after one `presence` frame per
 * watched user) and answers `presence_unsubscribe`: the users now watched by
 * this request (empty for an unsubscribe).
 */
export interface PresenceSubscribedFrame {
  type: 'presence_subscribed';
  id?: string;
  user_ids: UserId[];
}

/** Reply to `auth`: the socket now runs on the new token. */
export interface AuthenticatedFrame {
  type: 'authenticated';
  id?: string;
  /** When the new token expires (ISO 8601). */
  expires_at: string;
}

export interface PongFrame {
  type: 'pong';
  id?: string;
}

export type ServerFrame =
  | CallPushFrame
  | AttachmentPushFrame
  | ReadyFrame
  | AckFrame
  | ErrorFrame
  | MessageFrame
  | ReceiptPushFrame
  | TypingPushFrame
  | PresencePushFrame
  | ConversationPushFrame
  | SyncedFrame
  | PresenceSubscribedFrame
  | AuthenticatedFrame
  | ThreadReadPushFrame
  | PongFrame;
