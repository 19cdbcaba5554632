import { Type, type Static, type TSchema } from 'typebox';
import { MessageContent, SeqSchema, Uuid } from './common.ts';

/**
 * The event stream (Kafka): what Parley publishes after every durable change,
 * for analytics, moderation and audit. The server writes each event to its
 * outbox in the same transaction as the change, and one relay moves the
 * outbox to Kafka, so consumers see exactly what was committed, in order per
 * key, at least once: a repeat is always the same `event_id`.
 *
 * Each record's value is an `EventEnvelope` (JSON); its key is the
 * conversation id (the user id for user events), and its headers repeat
 * `event_type`, `schema_version` and `event_id`. A schema version grows only
 * on an incompatible change of a payload; fields may be added within one.
 */

const Timestamp = Type.String({ format: 'date-time' });

/** Event topics by domain; the server prefixes them (`KAFKA_TOPIC_PREFIX`, `parley.` by default). */
export const EVENT_TOPICS = ['messages', 'conversations', 'users', 'calls', 'moderation'] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

/** The payload of the membership events (members added, removed, left). */
export const MembershipChangePayload = Type.Object({
  conversation_id: Uuid,
  /** The membership entry's seq in the conversation's log. */
  seq: SeqSchema,
  actor_id: Uuid,
  user_ids: Type.Array(Uuid),
});

/** Common fields of the events of a change to a message: the change's log entry and its target. */
const messageChangeFields = {
  conversation_id: Uuid,
  /** The change entry's seq in the conversation's log. */
  seq: SeqSchema,
  /** The changed message. */
  message_id: Uuid,
  target_seq: SeqSchema,
  /** Who made the change. */
  actor_id: Uuid,
  occurred_at: Timestamp,
};

/**
 * Every event type with its topic, schema version and payload schema. No
 * payload carries a secret: no password hash, no token.
 */
export const EventCatalogue = {
  'message.created': {
    topic: 'messages',
    schemaVersion: 1,
    description: 'A message was stored (retries of a stored client_msg_id are not new events).',
    payload: Type.Object({
      conversation_id: Uuid,
      seq: SeqSchema,
      message_id: Uuid,
      sender_id: Uuid,
      /** The message as sent. */
      message: MessageContent,
      created_at: Timestamp,
    }),
  },
  'message.edited': {
    topic: 'messages',
    schemaVersion: 1,
    description: 'The author replaced the text of a message (the previous text is kept in its edit history until the message is deleted).',
    payload: Type.Object({ ...messageChangeFields, text: Type.String() }),
  },
  'message.deleted': {
    topic: 'messages',
    schemaVersion: 1,
    description:
      'A message was deleted by its author or a group admin. Its content is removed from the server, including the text in outbox rows of its earlier message.created / message.edited events not yet pruned.',
    payload: Type.Object(messageChangeFields),
  },
  'message.reaction_added': {
    topic: 'messages',
    schemaVersion: 1,
    description: 'A member reacted to a message with an emoji.',
    payload: Type.Object({ ...messageChangeFields, emoji: Type.String() }),
  },
  'message.reaction_removed': {
    topic: 'messages',
    schemaVersion: 1,
    description: 'A member took back their reaction.',
    payload: Type.Object({ ...messageChangeFields, emoji: Type.String() }),
  },
  'message.hidden': {
    topic: 'messages',
    schemaVersion: 1,
    description:
      'Moderation hid a message for every member (a rule hit: actor_id is then its author; or a server operator). The server keeps its content until a restore or a delete.',
    payload: Type.Object(messageChangeFields),
  },
  'message.restored': {
    topic: 'messages',
    schemaVersion: 1,
    description: 'A server operator restored a message moderation had hidden: members see it again.',
    payload: Type.Object(messageChangeFields),
  },
  'conversation.created': {
    topic: 'conversations',
    schemaVersion: 1,
    description: 'A direct conversation or a group was created (a direct conversation once per pair).',
    payload: Type.Object({
      conversation_id: Uuid,
      type: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
      title: Type.Union([Type.String(), Type.Null()]),
      created_by: Uuid,
      member_ids: Type.Array(Uuid),
    }),
  },
  'conversation.members_added': {
    topic: 'conversations',
    schemaVersion: 1,
    description: 'An admin added members to a group.',
    payload: MembershipChangePayload,
  },
  'conversation.member_removed': {
    topic: 'conversations',
    schemaVersion: 1,
    description: 'An admin removed a member from a group.',
    payload: MembershipChangePayload,
  },
  'conversation.member_left': {
    topic: 'conversations',
    schemaVersion: 1,
    description: 'A member left a group.',
    payload: MembershipChangePayload,
  },
  'conversation.updated': {
    topic: 'conversations',
    schemaVersion: 1,
    description: "An admin changed a group's name or description (only the fields that changed; null: cleared).",
    payload: Type.Object({
      conversation_id: Uuid,
      seq: SeqSchema,
      actor_id: Uuid,
      title: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    }),
  },
  'conversation.role_changed': {
    topic: 'conversations',
    schemaVersion: 1,
    description: 'An admin made a member an admin, or an admin a member.',
    payload: Type.Object({
      conversation_id: Uuid,
      seq: SeqSchema,
      actor_id: Uuid,
      user_id: Uuid,
      role: Type.Union([Type.Literal('admin'), Type.Literal('member')]),
    }),
  },
  'user.registered': {
    topic: 'users',
    schemaVersion: 1,
    description: 'An account was registered (never its password or tokens).',
    payload: Type.Object({
      user_id: Uuid,
      username: Type.String(),
      display_name: Type.String(),
    }),
  },
  'attachment.blocked': {
    topic: 'messages',
    schemaVersion: 1,
    description:
      'An uploaded file was refused by the processing pipeline and deleted: malware found by ClamAV, or a type the operator ' +
      'does not allow. For moderation: who uploaded what into which conversation (never the bytes).',
    payload: Type.Object({
      attachment_id: Uuid,
      conversation_id: Uuid,
      uploader_id: Uuid,
      /** The message referencing it, when one did by then. */
      message_id: Type.Union([Uuid, Type.Null()]),
      name: Type.String(),
      size: Type.Integer({ minimum: 0 }),
      /** The type found in the bytes. */
      content_type: Type.String(),
      reason: Type.Union([Type.Literal('malware'), Type.Literal('type_not_allowed')]),
      /** The ClamAV signature, for `malware`. */
      signature: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  'call.ended': {
    topic: 'calls',
    schemaVersion: 1,
    description: 'A call ended (hung up, rejected, unanswered, or failed).',
    payload: Type.Object({
      conversation_id: Uuid,
      /** The call_ended entry's seq in the conversation's log. */
      seq: SeqSchema,
      call_id: Type.String(),
      caller_id: Uuid,
      invitee_id: Uuid,
      /** Who ended it (the caller for a timeout). */
      actor_id: Uuid,
      reason: Type.String(),
      /** Milliseconds since answered; 0 when never answered. */
      duration_ms: Type.Integer({ minimum: 0 }),
    }),
  },
  'moderation.message_hidden': {
    topic: 'moderation',
    schemaVersion: 1,
    description: 'A message was hidden for every member: by a moderation rule (actor_id null) or by an operator confirming a report.',
    payload: Type.Object({
      conversation_id: Uuid,
      message_id: Uuid,
      author_id: Uuid,
      /** The review queue item that records why. */
      item_id: Uuid,
      /** Why, without the message text: e.g. "word", "regex", "domain", "rate", "classifier", "report". */
      reason: Type.String(),
      rule_id: Type.Union([Uuid, Type.Null()]),
      actor_id: Type.Union([Uuid, Type.Null()]),
    }),
  },
  'moderation.message_restored': {
    topic: 'moderation',
    schemaVersion: 1,
    description: 'An operator restored a hidden message.',
    payload: Type.Object({ conversation_id: Uuid, message_id: Uuid, item_id: Uuid, actor_id: Uuid }),
  },
  'moderation.message_reported': {
    topic: 'moderation',
    schemaVersion: 1,
    description: 'A member reported a message (the reason text is not in the event).',
    payload: Type.Object({ conversation_id: Uuid, message_id: Uuid, author_id: Uuid, reporter_id: Uuid, item_id: Uuid }),
  },
  'moderation.action_taken': {
    topic: 'moderation',
    schemaVersion: 1,
    description: 'An operator acted on a review queue item or a user: confirm, warn, mute, ban, unmute, unban. Keyed by the user acted on.',
    payload: Type.Object({
      user_id: Uuid,
      action: Type.Union([Type.Literal('confirm'), Type.Literal('warn'), Type.Literal('mute'), Type.Literal('ban'), Type.Literal('unmute'), Type.Literal('unban')]),
      item_id: Type.Union([Uuid, Type.Null()]),
      actor_id: Uuid,
      /** When a mute or ban ends; null for a permanent one and for other actions. */
      until: Type.Union([Timestamp, Type.Null()]),
    }),
  },
} as const satisfies Record<string, { topic: EventTopic; schemaVersion: number; description: string; payload: TSchema }>;

export type EventType = keyof typeof EventCatalogue;
export type EventPayload<T extends EventType> = Static<(typeof EventCatalogue)[T]['payload']>;

/** The value of every record on the event topics. */
export const EventEnvelope = Type.Object({
  event_id: Uuid,
  type: Type.String(),
  schema_version: Type.Integer({ minimum: 1 }),
  occurred_at: Timestamp,
  /** The record's key: the conversation id, or the user id for user events. */
  key: Uuid,
  payload: Type.Unknown(),
});
export interface EventEnvelope<T extends EventType = EventType> {
  event_id: string;
  type: T;
  schema_version: number;
  occurred_at: string;
  key: string;
  payload: EventPayload<T>;
}

/** Kafka record headers on every event. */
export const EVENT_HEADERS = { type: 'event_type', schemaVersion: 'schema_version', eventId: 'event_id' } as const;
