import { Type, type Static } from 'typebox';
import { MessageContent, SeqSchema, Uuid, type MemberView, type UserView } from './common.ts';
import { MAX_DESCRIPTION, MAX_GROUP_MEMBERS, MAX_MEMBERS_PAGE, MAX_PAGE, USERNAME_PATTERN, UUID_PATTERN } from './limits.ts';

/** Bodies and query strings of the REST API under `/api/v1`. */

export const RegisterBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN, maxLength: 32 }),
    password: Type.String({ minLength: 8, maxLength: 256 }),
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export type RefreshBody = Static<typeof RefreshBody>;

/** What a person may change about themselves. */
export const UpdateProfileBody = Type.Object(
  { display_name: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export type UpdateProfileBody = Static<typeof UpdateProfileBody>;

export const ChangePasswordBody = Type.Object(
  {
    current_password: Type.String({ minLength: 1, maxLength: 256 }),
    new_password: Type.String({ minLength: 8, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export interface AuthResponse {
  user: UserView;
  access_token: string;
  refresh_token: string;
  /** Seconds until the access token expires. */
  expires_in: number;
}

export interface WsTicketResponse {
  ticket: string;
  expires_in: number;
}

export const UserSearchQuery = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 64 }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
});
export type UserSearchQuery = Static<typeof UserSearchQuery>;

/** `GET /users/directory`: everyone, by username, `limit` at a time after `after`. */
export const UserDirectoryQuery = Type.Object({
  after: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
});
export type UserDirectoryQuery = Static<typeof UserDirectoryQuery>;

export const CreateConversationBody = Type.Object(
  {
    type: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
    member_ids: Type.Array(Uuid, { minItems: 1, maxItems: MAX_GROUP_MEMBERS, uniqueItems: true }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type CreateConversationBody = Static<typeof CreateConversationBody>;

/** `PATCH /conversations/:id`: a group's name, description and settings (admins); null clears a name or description. */
export const UpdateConversationBody = Type.Object(
  {
    title: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String({ maxLength: MAX_DESCRIPTION }), Type.Null()])),
    /** Who may pin and unpin (#15). */
    pin_policy: Type.Optional(Type.Union([Type.Literal('admins'), Type.Literal('members')])),
    /** Who may mention `@everyone` (#15). */
    everyone_policy: Type.Optional(Type.Union([Type.Literal('admins'), Type.Literal('members')])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateConversationBody = Static<typeof UpdateConversationBody>;

/** `PUT /conversations/:id/members/:userId/role`: make a member an admin, or an admin a member (admins). */
export const SetRoleBody = Type.Object({ role: Type.Union([Type.Literal('admin'), Type.Literal('member')]) }, { additionalProperties: false });
export type SetRoleBody = Static<typeof SetRoleBody>;

export const AddMembersBody = Type.Object(
  { user_ids: Type.Array(Uuid, { minItems: 1, maxItems: 100, uniqueItems: true }) },
  { additionalProperties: false },
);
export type AddMembersBody = Static<typeof AddMembersBody>;

/** Answer to `POST /conversations/:id/members`: who joined (not those already in), and the new count. */
export interface AddMembersResponse {
  added: MemberView[];
  member_count: number;
}

/** `GET /conversations/:id/members`: members in join order, `limit` at a time from `cursor`. */
export const MembersQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_MEMBERS_PAGE })),
  /** Opaque: the `next_cursor` of the previous page. */
  cursor: Type.Optional(Type.String({ maxLength: 64, pattern: `^[0-9]{1,18}_${UUID_PATTERN.slice(1)}` })),
});
export type MembersQuery = Static<typeof MembersQuery>;

export interface MembersPage {
  members: MemberView[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

export const ConversationParams = Type.Object({ id: Uuid });
export const MemberParams = Type.Object({ id: Uuid, userId: Uuid });
export const UserParams = Type.Object({ id: Uuid });

export const HistoryQuery = Type.Object({
  before_seq: Type.Optional(SeqSchema),
  after_seq: Type.Optional(SeqSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
});
export type HistoryQuery = Static<typeof HistoryQuery>;

/** `POST /conversations/:id/messages` takes the message exactly as a WebSocket send does. */
export const SendMessageBody = MessageContent;
