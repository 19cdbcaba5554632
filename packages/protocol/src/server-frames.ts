import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { SeqSchema, Uuid } from './common.ts';
import { CallFrames } from './calls.ts';
import { AttachmentPushFrameSchema } from './attachments.ts';
import { ThreadReadPushFrameSchema } from './threads-pins.ts';
import { ConversationViewSchema, ErrorCodeSchema, MentionsSchema, messageViewProperties } from './views.ts';
import type {
  AckFrame,
  AuthenticatedFrame,
  ConversationPushFrame,
  ErrorFrame,
  MessageFrame,
  PongFrame,
  PresencePushFrame,
  PresenceSubscribedFrame,
  ReadyFrame,
  ReceiptPushFrame,
  ServerFrame,
  SyncedFrame,
  TypingPushFrame,
} from './frames.ts';

/**
 * Server → client frames as schemas, keyed by `type`: the catalogue the API
 * documents are generated from. The interfaces in frames.ts stay the types
 * code uses; the checks at the bottom fail to compile when a frame is added to
 * `ServerFrame` without a schema here, or when a schema and its interface
 * disagree.
 */

/** Echo of the client's request `id`, when the frame answers one. */
const ReplyId = Type.Optional(Type.String());
const Timestamp = Type.String({ format: 'date-time' });

export const ReadyFrameSchema = Type.Object({
  type: Type.Literal('ready'),
  user_id: Uuid,
  connection_id: Type.String(),
  heartbeat_interval: Type.Integer({ minimum: 1, description: 'Seconds between server heartbeats; a client may treat twice this as dead.' }),
});

export const AckFrameSchema = Type.Object({
  type: Type.Literal('ack'),
  id: ReplyId,
  conversation_id: Uuid,
  message_id: Uuid,
  seq: SeqSchema,
  created_at: Timestamp,
  duplicate: Type.Boolean({ description: 'True when this `client_msg_id` had already been stored: the original result is returned.' }),
  thread_root: Type.Optional(SeqSchema),
  mentions: Type.Optional(MentionsSchema),
});

export const ErrorFrameSchema = Type.Object({
  type: Type.Literal('error'),
  id: ReplyId,
  code: ErrorCodeSchema,
  message: Type.String(),
  retry_after: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const MessageFrameSchema = Type.Object({
  type: Type.Literal('message'),
  ...messageViewProperties,
  replayed: Type.Optional(Type.Boolean({ description: 'True on the entries sent in answer to a `sync` (catch-up); absent on live pushes.' })),
});

export const ReceiptPushFrameSchema = Type.Object({
  type: Type.Literal('receipt'),
  id: ReplyId,
  conversation_id: Uuid,
  user_id: Uuid,
  delivered_seq: SeqSchema,
  read_seq: SeqSchema,
});

export const TypingPushFrameSchema = Type.Object({
  type: Type.Literal('typing'),
  conversation_id: Uuid,
  user_id: Uuid,
  state: Type.Union([Type.Literal('start'), Type.Literal('stop')]),
  expires_in: Type.Integer({ minimum: 0, description: 'Seconds after which a `start` lapses unless refreshed.' }),
});

export const PresencePushFrameSchema = Type.Object({
  type: Type.Literal('presence'),
  id: ReplyId,
  user_id: Uuid,
  status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  last_seen: Type.Union([Timestamp, Type.Null()]),
});

export const ConversationPushFrameSchema = Type.Object({
  type: Type.Literal('conversation'),
  event: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('removed')], {
    description: '`created`: the receiving user joined (full view). `updated`: membership, roles, name or description changed (fetch the conversation). `removed`: no longer a member.',
  }),
  conversation: Type.Union([
    ConversationViewSchema,
    Type.Object({ id: Uuid, member_count: Type.Optional(Type.Integer({ minimum: 0 })) }),
  ]),
});

export const SyncedFrameSchema = Type.Object({
  type: Type.Literal('synced'),
  id: ReplyId,
  limited: Type.Boolean({ description: 'True when a conversation has more to replay: send `sync` again with the new cursors.' }),
  cursors: Type.Record(Type.String(), SeqSchema),
  removed: Type.Array(Uuid, { description: 'Listed conversations the caller is not a member of: forget them.' }),
});

export const PresenceSubscribedFrameSchema = Type.Object({
  type: Type.Literal('presence_subscribed'),
  id: ReplyId,
  user_ids: Type.Array(Uuid),
});

export const AuthenticatedFrameSchema = Type.Object({
  type: Type.Literal('authenticated'),
  id: ReplyId,
  expires_at: Timestamp,
});

export const PongFrameSchema = Type.Object({ type: Type.Literal('pong'), id: ReplyId });

/** A call frame as relayed to the other party: the sender's frame without its request id, plus who sent it and where. */
function relayed<P extends TProperties>(frame: TObject<P>): TObject {
  const { id: _requestId, ...properties } = frame.properties;
  return Type.Object({ ...properties, conversation_id: Uuid, sender_id: Uuid }, { additionalProperties: false });
}

type CallFrameType = keyof typeof CallFrames;
export const CallPushFrames = Object.fromEntries(
  Object.entries(CallFrames).map(([type, frame]) => [type, relayed(frame as TObject)]),
) as Record<CallFrameType, TObject>;

/** Server → client frames, keyed by `type`. */
export const ServerFrames = {
  ...CallPushFrames,
  ready: ReadyFrameSchema,
  ack: AckFrameSchema,
  error: ErrorFrameSchema,
  message: MessageFrameSchema,
  receipt: ReceiptPushFrameSchema,
  typing: TypingPushFrameSchema,
  presence: PresencePushFrameSchema,
  conversation: ConversationPushFrameSchema,
  synced: SyncedFrameSchema,
  presence_subscribed: PresenceSubscribedFrameSchema,
  authenticated: AuthenticatedFrameSchema,
  pong: PongFrameSchema,
  attachment: AttachmentPushFrameSchema,
  thread_read: ThreadReadPushFrameSchema,
} as const;

export type ServerFrameType = ServerFrame['type'];

// Compile-time drift checks.
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
type ServerFrameChecks = [
  Expect<SameShape<keyof typeof ServerFrames, ServerFrameType>>,
  Expect<SameShape<Static<typeof ReadyFrameSchema>, ReadyFrame>>,
  Expect<SameShape<Static<typeof AckFrameSchema>, AckFrame>>,
  Expect<SameShape<Static<typeof ErrorFrameSchema>, ErrorFrame>>,
  Expect<SameShape<Static<typeof MessageFrameSchema>, MessageFrame>>,
  Expect<SameShape<Static<typeof ReceiptPushFrameSchema>, ReceiptPushFrame>>,
  Expect<SameShape<Static<typeof TypingPushFrameSchema>, TypingPushFrame>>,
  Expect<SameShape<Static<typeof PresencePushFrameSchema>, PresencePushFrame>>,
  Expect<SameShape<Static<typeof ConversationPushFrameSchema>, ConversationPushFrame>>,
  Expect<SameShape<Static<typeof SyncedFrameSchema>, SyncedFrame>>,
  Expect<SameShape<Static<typeof PresenceSubscribedFrameSchema>, PresenceSubscribedFrame>>,
  Expect<SameShape<Static<typeof AuthenticatedFrameSchema>, AuthenticatedFrame>>,
  Expect<SameShape<Static<typeof PongFrameSchema>, PongFrame>>,
];
