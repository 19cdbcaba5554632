import { Type, type Static } from 'typebox';
import { MAX_ATTACHMENTS, MAX_TEXT_LENGTH } from './limits.ts';

export type UserId = string;
export type ConversationId = string;
export type MessageId = string;
/** Position of an entry in a conversation's log: 1, 2, 3, … with no holes. */
export type Seq = number;

export const Uuid = Type.String({ format: 'uuid', maxLength: 36 });
export const SeqSchema = Type.Integer({ minimum: 0, maximum: 2_147_483_647 });


/**
 * An attachment reference inside a message: the id of an upload the sender
 * made into this conversation (`POST /api/v1/uploads`). The client sends the
 * id; the server replaces the other fields with what it knows (name, size,
 * the type found in the bytes, status, scan, dimensions) and keeps `status`
 * current in the stored message; changes are pushed as `attachment` frames.
 */
export const Attachment = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.Optional(Type.String({ maxLength: 255 })),
    content_type: Type.Optional(Type.String({ maxLength: 127 })),
    size: Type.Optional(Type.Integer({ minimum: 0 })),
    status: Type.Optional(Type.String({ maxLength: 16 })),
    scan: Type.Optional(Type.String({ maxLength: 16 })),
    width: Type.Optional(Type.Integer({ minimum: 0 })),
    height: Type.Optional(Type.Integer({ minimum: 0 })),
    thumbnail: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A message as the client sends it; stored and pushed back unchanged. */
export const MessageContent = Type.Object(
  {
    type: Type.Union([Type.Literal('text')]),
    text: Type.String({ minLength: 1, maxLength: MAX_TEXT_LENGTH }),
    attachments: Type.Optional(Type.Array(Attachment, { maxItems: MAX_ATTACHMENTS })),
    client_msg_id: Type.String({ minLength: 1, maxLength: 64 }),
    sent_at: Type.Optional(Type.String({ maxLength: 40 })),
    /** The message this one replies to: its seq or message id, in the same conversation. */
    reply_to: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), Type.String({ format: 'uuid', maxLength: 36 })])),
  },
  { additionalProperties: false },
);
export type MessageContent = Static<typeof MessageContent>;

/** A log entry written by the server itself (membership changes, …). */
export interface SystemContent {
  type: 'system';
  event:
    | 'conversation_created'
    | 'members_added'
    | 'member_removed'
    | 'member_left'
    | 'call_started'
    | 'call_answered'
    | 'call_ended'
    | 'group_updated'
    | 'role_changed';
  actor_id: UserId;
  user_ids?: UserId[];
  /** `group_updated`: the fields that changed (null: cleared). */
  title?: string | null;
  description?: string | null;
  /** `role_changed`: the new role of `user_ids[0]`. */
  role?: 'admin' | 'member';
  /** Call events: the call, and for `call_ended` why and how long (ms since answered; 0 if never). */
  call_id?: string;
  /** Call events: the group call the leg belongs to (the same on every leg of one mesh). */
  group_call_id?: string;
  video?: boolean;
  reason?: string;
  duration_ms?: number;
}

/**
 * A change to an earlier message (`target_seq`), as an entry of the log: its
 * actor is the entry's `sender_id`, its time the entry's `created_at`. A
 * client applies it to the target unless the target's `last_change_seq`
 * already reflects it (a view read after the change).
 */
export interface ChangeContent {
  type: 'change';
  change: 'edited' | 'deleted' | 'reaction_added' | 'reaction_removed' | 'hidden' | 'restored';
  target_seq: Seq;
  target_id: MessageId;
  /** `edited`: the edit request's id. */
  client_msg_id?: string;
  /** `edited`: the new text (gone once the message is deleted). */
  text?: string;
  /** Reactions: the emoji. */
  emoji?: string;
  /** `restored`: the message as it is again (gone once it is hidden again or deleted). */
  restored?: MessageContent;
}

/** What is left of a deleted message: its content is removed from the server. */
export interface DeletedContent {
  type: 'deleted';
  client_msg_id?: string;
}

/**
 * A message hidden by moderation (a rule hit or an operator), as every member
 * sees it, its author included: no text, no attachments ("removed by
 * moderation"). The server keeps the content, so an operator's restore brings it back.
 */
export interface HiddenContent {
  type: 'hidden';
  client_msg_id?: string;
}

/** The message a reply quotes, as it is now. */
export interface ReplyQuote {
  seq: Seq;
  message_id: MessageId;
  sender_id: UserId;
  /** The first REPLY_EXCERPT_LENGTH characters of its text; null once it is deleted. */
  text: string | null;
}

/** One emoji's reactions on a message. */
export interface ReactionView {
  emoji: string;
  count: number;
  /** Who reacted, oldest first. */
  user_ids: UserId[];
}

export interface UserView {
  id: UserId;
  username: string;
  display_name: string;
  /** `bot` for a bot account (an integration, not a person): clients mark it. The server always sends it. */
  kind?: 'user' | 'bot';
}

/** Which integration posted an entry (an incoming webhook), on the entry's view. */
export interface IntegrationView {
  webhook_id: string;
  /** The webhook's name, given by the conversation admin who created it. */
  name: string;
  /** The display name the integration asked for with this message, if any. */
  display_name?: string;
}

export interface MemberView extends UserView {
  role: 'admin' | 'member';
  delivered_seq: Seq;
  read_seq: Seq;
}

/** One entry of a conversation's log, as history and `message` frames carry it. */
export interface MessageView {
  conversation_id: ConversationId;
  seq: Seq;
  message_id: MessageId;
  sender_id: UserId;
  message: MessageContent | SystemContent | ChangeContent | DeletedContent | HiddenContent;
  created_at: string;
  /** Present when an integration (an incoming webhook) posted the entry. */
  integration?: IntegrationView;
  /** A reply: the message it quotes. */
  reply_to?: ReplyQuote;
  /** Set when the text was edited (the last time). */
  edited_at?: string;
  /** Set when the message was deleted (`message` is then `{ type: 'deleted' }`). */
  deleted_at?: string;
  /** Set while the message is hidden by moderation (`message` is then `{ type: 'hidden' }`). */
  hidden_at?: string;
  /** The seq of the newest change entry this view already reflects: older ones are not applied again. */
  last_change_seq?: Seq;
  /** Reactions, by emoji in the order they first appeared. */
  reactions?: ReactionView[];
}

export interface ConversationView {
  id: ConversationId;
  type: 'direct' | 'group';
  title: string | null;
  /** A group's description (set by its admins); null when none. */
  description: string | null;
  /**
   * A preview: the first MEMBER_PREVIEW members by join order, plus the
   * viewer. Every member when there are no more than that (direct chats,
   * small groups): `members.length === member_count`. The whole list is paged
   * from `GET /conversations/:id/members`.
   */
  members: MemberView[];
  /** How many members the conversation has. */
  member_count: number;
  last_seq: Seq;
  read_seq: Seq;
  delivered_seq: Seq;
  unread_count: number;
  last_message: MessageView | null;
  created_at: string;
}
