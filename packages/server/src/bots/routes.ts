import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  BotIdParams,
  BotLoginBody,
  BotSessionResponseSchema,
  BotTokenParams,
  BotTokenViewSchema,
  BotViewSchema,
  CreateBotBody,
  CreateBotTokenBody,
  CreatedBotTokenSchema,
  NoContentSchema as NoContent,
  type BotSessionResponse,
  type BotView,
  type CreatedBotToken,
} from '@parley/protocol';
import type { BotService } from './bot-service.ts';

/** `POST /api/v1/auth/bot`: public (rate limited per address like login). */
export function registerBotLoginRoute(app: FastifyInstance, bots: BotService): void {
  app.post<{ Body: BotLoginBody; Reply: BotSessionResponse }>(
    '/api/v1/auth/bot',
    {
      schema: {
        summary: 'Exchange a bot token for an access token (bots have no password and no refresh token: exchange again)',
        body: BotLoginBody,
        response: { 200: BotSessionResponseSchema },
      },
    },
    (req) => bots.login(req.body.token, req.clientIp),
  );
}

/** Bot management, for the user who owns each bot. */
export function registerBotRoutes(app: FastifyInstance, bots: BotService): void {
  app.post<{ Body: CreateBotBody; Reply: BotView }>(
    '/api/v1/bots',
    { schema: { summary: 'Create a bot account owned by the caller', body: CreateBotBody, response: { 201: BotViewSchema } } },
    async (req, reply) => reply.status(201).send(await bots.create(req.userId, req.body)),
  );
  app.get<{ Reply: { bots: BotView[] } }>(
    '/api/v1/bots',
    { schema: { summary: "The caller's bots", response: { 200: Type.Object({ bots: Type.Array(BotViewSchema) }) } } },
    async (req) => ({ bots: await bots.list(req.userId) }),
  );
  app.post<{ Params: Static<typeof BotIdParams>; Body: CreateBotTokenBody; Reply: CreatedBotToken }>(
    '/api/v1/bots/:id/tokens',
    {
      schema: {
        summary: 'Create a token for a bot (the secret is in this answer only), optionally scoped to conversations and to read or send',
        params: BotIdParams,
        body: CreateBotTokenBody,
        response: { 201: CreatedBotTokenSchema },
      },
    },
    async (req, reply) => reply.status(201).send(await bots.createToken(req.userId, req.params.id, req.body)),
  );
  app.get<{ Params: Static<typeof BotIdParams> }>(
    '/api/v1/bots/:id/tokens',
    {
      schema: {
        summary: "A bot's tokens, without their secrets",
        params: BotIdParams,
        response: { 200: Type.Object({ tokens: Type.Array(BotTokenViewSchema) }) },
      },
    },
    async (req) => ({ tokens: await bots.listTokens(req.userId, req.params.id) }),
  );
  app.delete<{ Params: Static<typeof BotTokenParams> }>(
    '/api/v1/bots/:id/tokens/:tokenId',
    {
      schema: {
        summary: 'Revoke a bot token: refused on every instance within a second, its sockets closed',
        params: BotTokenParams,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await bots.revokeToken(req.userId, req.params.id, req.params.tokenId);
      return reply.status(204).send();
    },
  );
}

/**
 * Bot management for server operators (the scope's hook checks): bots owned
 * by no user, and the tokens of any bot, e.g. to revoke a leaked one.
 */
export function registerOperatorBotRoutes(app: FastifyInstance, bots: BotService): void {
  app.post<{ Body: CreateBotBody; Reply: BotView }>(
    '/api/v1/admin/bots',
    { schema: { summary: 'Create a bot account owned by no user (operators)', body: CreateBotBody, response: { 201: BotViewSchema } } },
    async (req, reply) => reply.status(201).send(await bots.create(null, req.body, req.userId)),
  );
  app.get<{ Reply: { bots: BotView[] } }>(
    '/api/v1/admin/bots',
    { schema: { summary: 'Every bot account, whoever owns it (operators; webhook users are listed with their webhooks)', response: { 200: Type.Object({ bots: Type.Array(BotViewSchema) }) } } },
    async () => ({ bots: await bots.listAll() }),
  );
  app.post<{ Params: Static<typeof BotIdParams>; Body: CreateBotTokenBody; Reply: CreatedBotToken }>(
    '/api/v1/admin/bots/:id/tokens',
    {
      schema: {
        summary: 'Create a token for any bot (operators; the secret is in this answer only)',
        params: BotIdParams,
        body: CreateBotTokenBody,
        response: { 201: CreatedBotTokenSchema },
      },
    },
    async (req, reply) => reply.status(201).send(await bots.createToken(req.userId, req.params.id, req.body, true)),
  );
  app.get<{ Params: Static<typeof BotIdParams> }>(
    '/api/v1/admin/bots/:id/tokens',
    {
      schema: { summary: "Any bot's tokens, without their secrets (operators)", params: BotIdParams, response: { 200: Type.Object({ tokens: Type.Array(BotTokenViewSchema) }) } },
    },
    async (req) => ({ tokens: await bots.listTokens(req.userId, req.params.id, true) }),
  );
  app.delete<{ Params: Static<typeof BotTokenParams> }>(
    '/api/v1/admin/bots/:id/tokens/:tokenId',
    { schema: { summary: "Revoke any bot's token (operators): refused on every instance within a second, its sockets closed", params: BotTokenParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await bots.revokeToken(req.userId, req.params.id, req.params.tokenId, true);
      return reply.status(204).send();
    },
  );
}
