import { Type, type Static } from 'typebox';
import { MessageContent, SeqSchema, Uuid, type ConversationView, type MemberView, type MessageView, type SystemContent, type UserView } from './common.ts';
import { ErrorCodes, type ErrorBody, type ErrorCode } from './errors.ts';
import type { AddMembersResponse, AuthResponse, MembersPage, WsTicketResponse } from './rest.ts';
import type { IceServersResponse } from './calls.ts';

/**
 * Schemas of what the server sends back: the views inside REST responses and
 * server frames. The TypeScript interfaces in common.ts, rest.ts and calls.ts
 * stay the types code uses; these exist so the API documents can describe
 * them, and the checks at the bottom fail to compile if the two drift apart.
 * Named `…Schema` because the interface already owns the plain name.
 */

const Timestamp = Type.String({ format: 'date-time' });

export const ErrorCodeSchema = Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(ErrorCodes) });

export const ErrorBodySchema = Type.Object({
  error: Type.Object({
    code: ErrorCodeSchema,
    message: Type.String(),
    /** Seconds to wait before retrying (`rate_limited`); also sent as the `Retry-After` header. */
    retry_after: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
});

export const UserViewSchema = Type.Object({
  id: Uuid,
  username: Type.String(),
  display_name: Type.String(),
  kind: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('bot')], { description: '`bot` for a bot account; clients mark it.' })),
});

export const MemberViewSchema = Type.Object({
  id: Uuid,
  username: Type.String(),
  display_name: Type.String(),
  kind: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('bot')], { description: '`bot` for a bot account; clients mark it.' })),
  role: Type.Union([Type.Literal('admin'), Type.Literal('member')]),
  delivered_seq: SeqSchema,
  read_seq: SeqSchema,
});

export const SystemContentSchema = Type.Object({
  type: Type.Literal('system'),
  event: Type.Union([
    Type.Literal('conversation_created'),
    Type.Literal('members_added'),
    Type.Literal('member_removed'),
    Type.Literal('member_left'),
    Type.Literal('call_started'),
    Type.Literal('call_answered'),
    Type.Literal('call_ended'),
    Type.Literal('group_updated'),
    Type.Literal('role_changed'),
  ]),
  actor_id: Uuid,
  user_ids: Type.Optional(Type.Array(Uuid)),
  title: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('member')])),
  call_id: Type.Optional(Type.String()),
  group_call_id: Type.Optional(Type.String()),
  video: Type.Optional(Type.Boolean()),
  reason: Type.Optional(Type.String()),
  duration_ms: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const ChangeContentSchema = Type.Object({
  type: Type.Literal('change'),
  change: Type.Union(
    [
      Type.Literal('edited'),
      Type.Literal('deleted'),
      Type.Literal('reaction_added'),
      Type.Literal('reaction_removed'),
      Type.Literal('hidden'),
      Type.Literal('restored'),
    ],
    {
      description:
        'What the entry did to the message at `target_seq`; its actor is the entry\'s `sender_id`. `hidden` / `restored`: ' +
        'moderation (a rule hit, actor the author; or a server operator) removed the message for every member or brought it back.',
    },
  ),
  target_seq: SeqSchema,
  target_id: Uuid,
  client_msg_id: Type.Optional(Type.String()),
  text: Type.Optional(Type.String({ description: '`edited`: the new text (removed once the message is deleted).' })),
  emoji: Type.Optional(Type.String()),
  /** `restored`: the message as it is again (removed once it is hidden again or deleted). */
  restored: Type.Optional(MessageContent),
});

export const DeletedContentSchema = Type.Object({
  type: Type.Literal('deleted'),
  client_msg_id: Type.Optional(Type.String()),
});

export const HiddenContentSchema = Type.Object(
  { type: Type.Literal('hidden'), client_msg_id: Type.Optional(Type.String()) },
  { description: 'A message hidden by moderation, as every member (its author too) sees it: no text, no attachments.' },
);

export const ReplyQuoteSchema = Type.Object({
  seq: SeqSchema,
  message_id: Uuid,
  sender_id: Uuid,
  text: Type.Union([Type.String(), Type.Null()], { description: 'The start of the quoted text; null once that message is deleted.' }),
});

export const ReactionViewSchema = Type.Object({
  emoji: Type.String(),
  count: Type.Integer({ minimum: 1 }),
  user_ids: Type.Array(Uuid),
});

/** The fields of a log entry, for frames that extend it (`message`). */
export const messageViewProperties = {
  conversation_id: Uuid,
  seq: SeqSchema,
  message_id: Uuid,
  sender_id: Uuid,
  message: Type.Union([MessageContent, SystemContentSchema, ChangeContentSchema, DeletedContentSchema, HiddenContentSchema]),
  created_at: Timestamp,
  integration: Type.Optional(
    Type.Object(
      { webhook_id: Uuid, name: Type.String(), display_name: Type.Optional(Type.String()) },
      { description: 'Present when an incoming webhook posted the entry: which one.' },
    ),
  ),
  reply_to: Type.Optional(ReplyQuoteSchema),
  edited_at: Type.Optional(Timestamp),
  deleted_at: Type.Optional(Timestamp),
  hidden_at: Type.Optional(Timestamp),
  last_change_seq: Type.Optional(SeqSchema),
  reactions: Type.Optional(Type.Array(ReactionViewSchema)),
};

export const MessageViewSchema = Type.Object(messageViewProperties);

export const ConversationViewSchema = Type.Object({
  id: Uuid,
  type: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
  title: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  members: Type.Array(MemberViewSchema),
  member_count: Type.Integer({ minimum: 0 }),
  last_seq: SeqSchema,
  read_seq: SeqSchema,
  delivered_seq: SeqSchema,
  unread_count: Type.Integer({ minimum: 0 }),
  last_message: Type.Union([MessageViewSchema, Type.Null()]),
  created_at: Timestamp,
});

export const AuthResponseSchema = Type.Object({
  user: UserViewSchema,
  access_token: Type.String(),
  refresh_token: Type.String(),
  expires_in: Type.Integer({ minimum: 0 }),
});

export const WsTicketResponseSchema = Type.Object({
  ticket: Type.String(),
  expires_in: Type.Integer({ minimum: 0 }),
});

export const IceServersResponseSchema = Type.Object({
  ice_servers: Type.Array(
    Type.Object({
      urls: Type.Array(Type.String()),
      username: Type.Optional(Type.String()),
      credential: Type.Optional(Type.String()),
    }),
  ),
  ttl: Type.Integer({ minimum: 0 }),
});

/** A response with no body (204). */
export const NoContentSchema = Type.Null({ description: 'No content' });

/** `GET /users`. */
export const UserListResponseSchema = Type.Object({ users: Type.Array(UserViewSchema) });
/** `GET /users/directory`: a page of users by username; `next_after` asks for the next page (null: no more). */
export const UserDirectoryResponseSchema = Type.Object({ users: Type.Array(UserViewSchema), next_after: Type.Union([Type.String(), Type.Null()]) });
/** `GET /conversations`. */
export const ConversationListResponseSchema = Type.Object({ conversations: Type.Array(ConversationViewSchema) });
/** `GET /conversations/:id/members`: one page of members in join order. */
export const MembersPageSchema = Type.Object({
  members: Type.Array(MemberViewSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last one.' }),
});
/** `POST /conversations/:id/members`: who joined (not those already in), and the new count. */
export const AddMembersResponseSchema = Type.Object({ added: Type.Array(MemberViewSchema), member_count: Type.Integer({ minimum: 0 }) });
/** `GET /conversations/:id/messages`: one page of the log. */
export const HistoryResponseSchema = Type.Object({
  messages: Type.Array(MessageViewSchema),
  has_more: Type.Boolean({ description: 'True when there are more entries beyond this page.' }),
});
/** `POST /conversations/:id/messages`: the stored entry; `duplicate` when this `client_msg_id` was already stored. */
export const SentMessageResponseSchema = Type.Object({ ...messageViewProperties, duplicate: Type.Boolean() });
/** Edits, deletes and reactions over REST: the change's log entry; `duplicate` when it had been made before. */
export const ChangeResponseSchema = Type.Object({
  ...messageViewProperties,
  duplicate: Type.Boolean({ description: 'True when nothing changed: the entry that made the state asked for is returned.' }),
});

// Compile-time drift checks: each schema's static type and its interface accept each other.
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Expect<T extends true> = T;
type ViewChecks = [
  Expect<SameShape<Static<typeof ErrorBodySchema>, ErrorBody>>,
  Expect<SameShape<Static<typeof UserViewSchema>, UserView>>,
  Expect<SameShape<Static<typeof MemberViewSchema>, MemberView>>,
  Expect<SameShape<Static<typeof SystemContentSchema>, SystemContent>>,
  Expect<SameShape<Static<typeof MessageViewSchema>, MessageView>>,
  Expect<SameShape<Static<typeof ConversationViewSchema>, ConversationView>>,
  Expect<SameShape<Static<typeof AuthResponseSchema>, AuthResponse>>,
  Expect<SameShape<Static<typeof WsTicketResponseSchema>, WsTicketResponse>>,
  Expect<SameShape<Static<typeof IceServersResponseSchema>, IceServersResponse>>,
  Expect<SameShape<Static<typeof MembersPageSchema>, MembersPage>>,
  Expect<SameShape<Static<typeof AddMembersResponseSchema>, AddMembersResponse>>,
];
