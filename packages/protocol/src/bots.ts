import { Type, type Static } from 'typebox';
import { Uuid, type UserView } from './common.ts';
import { MAX_TEXT_LENGTH, USERNAME_PATTERN } from './limits.ts';
import { UserViewSchema } from './views.ts';

/** Bot accounts, their tokens, and incoming webhooks: bodies and answers of the REST API. */

const Timestamp = Type.String({ format: 'date-time' });
/** Conversations a token may name at most (more: leave the list out and scope by membership). */
export const MAX_TOKEN_CONVERSATIONS = 100;

export const CreateBotBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN, maxLength: 32 }),
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type CreateBotBody = Static<typeof CreateBotBody>;

export const BotViewSchema = Type.Object({
  ...UserViewSchema.properties,
  kind: Type.Literal('bot'),
  owner_id: Type.Union([Uuid, Type.Null()], { description: 'The user who created the bot and manages its tokens (null: created by an operator).' }),
  created_at: Timestamp,
});
export interface BotView extends UserView {
  kind: 'bot';
  owner_id: string | null;
  created_at: string;
}

export const CreateBotTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, description: 'What the token is for (shown in lists and audit lines).' }),
    conversation_ids: Type.Optional(
      Type.Array(Uuid, {
        maxItems: MAX_TOKEN_CONVERSATIONS,
        uniqueItems: true,
        description: 'Conversations the token may act in. Left out: every conversation the bot is a member of.',
      }),
    ),
    read: Type.Optional(Type.Boolean({ description: 'May receive entries (socket pushes, sync, history). Default true.' })),
    send: Type.Optional(Type.Boolean({ description: 'May post messages. Default true.' })),
  },
  { additionalProperties: false },
);
export type CreateBotTokenBody = Static<typeof CreateBotTokenBody>;

export const BotTokenViewSchema = Type.Object({
  id: Uuid,
  bot_id: Uuid,
  name: Type.String(),
  conversation_ids: Type.Union([Type.Array(Uuid), Type.Null()]),
  read: Type.Boolean(),
  send: Type.Boolean(),
  created_at: Timestamp,
  revoked_at: Type.Union([Timestamp, Type.Null()]),
});
export type BotTokenView = Static<typeof BotTokenViewSchema>;

export const CreatedBotTokenSchema = Type.Object({
  ...BotTokenViewSchema.properties,
  token: Type.String({ description: 'The secret, shown this once (only its hash is stored). Present it to `POST /api/v1/auth/bot`.' }),
});
export type CreatedBotToken = Static<typeof CreatedBotTokenSchema>;

export const BotLoginBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });
export type BotLoginBody = Static<typeof BotLoginBody>;

export const BotSessionResponseSchema = Type.Object({
  user: UserViewSchema,
  access_token: Type.String(),
  expires_in: Type.Integer({ minimum: 0, description: 'Seconds until the access token expires: present the bot token again for a new one.' }),
});
export interface BotSessionResponse {
  user: UserView;
  access_token: string;
  expires_in: number;
}

export const BotIdParams = Type.Object({ id: Uuid });
export const BotTokenParams = Type.Object({ id: Uuid, tokenId: Uuid });

export const CreateWebhookBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64, description: 'Shown on every message the webhook posts.' }) },
  { additionalProperties: false },
);
export type CreateWebhookBody = Static<typeof CreateWebhookBody>;

export const WebhookViewSchema = Type.Object({
  id: Uuid,
  conversation_id: Uuid,
  name: Type.String(),
  sender_id: Uuid,
  created_by: Uuid,
  created_at: Timestamp,
  revoked_at: Type.Union([Timestamp, Type.Null()]),
});
export type WebhookView = Static<typeof WebhookViewSchema>;

export const CreatedWebhookSchema = Type.Object({
  ...WebhookViewSchema.properties,
  token: Type.String({ description: 'The secret part of the URL, shown this once (only its hash is stored).' }),
  path: Type.String({ description: 'Where to POST messages: `/api/v1/hooks/<token>` on this server.' }),
});
export type CreatedWebhook = Static<typeof CreatedWebhookSchema>;

export const WebhookParams = Type.Object({ id: Uuid, webhookId: Uuid });
export const WebhookTokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 128 }) });

export const WebhookPostBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: MAX_TEXT_LENGTH }),
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Shown instead of the webhook name for this message.' })),
  },
  { additionalProperties: false },
);
export type WebhookPostBody = Static<typeof WebhookPostBody>;

export const WebhookPostedSchema = Type.Object({ message_id: Uuid, seq: Type.Integer({ minimum: 1 }) });
export type WebhookPosted = Static<typeof WebhookPostedSchema>;
