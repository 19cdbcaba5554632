import { Type, type Static } from 'typebox';
import { MAX_THREAD_PAGE } from './limits.ts';
import { SeqSchema, Uuid, type ConversationId, type Seq } from './common.ts';
import { MessageViewSchema } from './views.ts';

/**
 * Threads and pins: the client frames and REST bodies beyond sending.
 *
 * - A thread reply is sent like any reply (`send_message` with `reply_to` and
 *   `thread: true`) and is an entry of the conversation's log (`thread_root`
 *   names its root), so sync and order work unchanged. A client keeps a root's
 *   `thread` summary from the entries it receives, live or replayed: an entry
 *   whose `thread_root` is R and whose seq is above R's
 *   `thread.last_reply_seq` adds one reply and becomes the latest (entries at or
 *   below it are already counted in the view it holds).
 * - Thread replies do not count in the conversation's `unread_count` (as in
 *   Slack, and in Mattermost with collapsed reply threads): they are unread in
 *   their thread, tracked per member by `thread_read` (WS) or
 *   `POST /conversations/:id/threads/:seq/read`. A mention in a thread reply
 *   does count in `mention_count`.
 * - Pins are `change` entries (`pinned` / `unpinned`) of the log, each with
 *   its own seq; `GET /conversations/:id/pins` lists the current pins.
 */

const RequestId = Type.String({ minLength: 1, maxLength: 64 });
const TargetSeq = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

/** Pins or unpins a message. Asking for the state that already holds changes nothing (`duplicate`). */
export const PinMessageFrame = Type.Object(
  {
    type: Type.Literal('pin_message'),
    id: Type.Optional(RequestId),
    conversation_id: Uuid,
    seq: TargetSeq,
    action: Type.Union([Type.Literal('pin'), Type.Literal('unpin')]),
  },
  { additionalProperties: false },
);

/**
 * Marks a thread read up to `seq` (a reply's seq; never moves back). The
 * caller's devices are told with a `thread_read` frame.
 */
export const ThreadReadFrame = Type.Object(
  { type: Type.Literal('thread_read'), id: Type.Optional(RequestId), conversation_id: Uuid, root_seq: TargetSeq, seq: TargetSeq },
  { additionalProperties: false },
);

export const ThreadPinFrames = {
  pin_message: PinMessageFrame,
  thread_read: ThreadReadFrame,
} as const;

export type PinMessageFrame = Static<typeof PinMessageFrame>;
export type ThreadReadFrame = Static<typeof ThreadReadFrame>;
export type ThreadPinFrame = PinMessageFrame | ThreadReadFrame;

/** Pushed to the member's own devices when they marked a thread read (and in reply to `thread_read`). */
export interface ThreadReadPushFrame {
  type: 'thread_read';
  id?: string;
  conversation_id: ConversationId;
  root_seq: Seq;
  /** How far the member has read the thread. */
  read_seq: Seq;
  /** Replies from others above `read_seq`. */
  unread_count: number;
  /** The thread's newest reply when counted: replies above it are not in `unread_count`. */
  last_reply_seq: Seq;
}

export const ThreadReadPushFrameSchema = Type.Object({
  type: Type.Literal('thread_read'),
  id: Type.Optional(Type.String()),
  conversation_id: Uuid,
  root_seq: SeqSchema,
  read_seq: SeqSchema,
  unread_count: Type.Integer({ minimum: 0 }),
  last_reply_seq: SeqSchema,
});

/** `GET /conversations/:id/threads/:seq`: the oldest `limit` replies above `after_seq`. */
export const ThreadQuery = Type.Object(
  {
    after_seq: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_THREAD_PAGE })),
  },
  { additionalProperties: false },
);
export type ThreadQuery = Static<typeof ThreadQuery>;

export const ThreadParams = Type.Object({ id: Uuid, seq: TargetSeq });

/** `POST /conversations/:id/threads/:seq/read`. */
export const ThreadReadBody = Type.Object({ seq: TargetSeq }, { additionalProperties: false });
export type ThreadReadBody = Static<typeof ThreadReadBody>;

export const ThreadPageSchema = Type.Object({
  root: MessageViewSchema,
  replies: Type.Array(MessageViewSchema),
  has_more: Type.Boolean({ description: 'True when there are more replies above this page: ask again with after_seq = the last seq.' }),
  read_seq: SeqSchema,
  unread_count: Type.Integer({ minimum: 0, description: 'Replies from others above the caller’s read_seq in this thread.' }),
});
export type ThreadPage = Static<typeof ThreadPageSchema>;

export const ThreadReadResponseSchema = Type.Object({
  conversation_id: Uuid,
  root_seq: SeqSchema,
  read_seq: SeqSchema,
  unread_count: Type.Integer({ minimum: 0 }),
  last_reply_seq: SeqSchema,
});

/** `GET /conversations/:id/pins`: pinned messages, most recently pinned first, and the log position they reflect. */
export const PinsResponseSchema = Type.Object({
  pins: Type.Array(MessageViewSchema),
  as_of_seq: Type.Integer({
    minimum: 0,
    description: 'The conversation’s last seq when read: pin / unpin entries above it are not reflected yet (apply them in order).',
  }),
});
export type PinsResponse = Static<typeof PinsResponseSchema>;
