import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { Audit } from '../audit.ts';
import { AppError } from '../errors.ts';
import { Type, type Static } from 'typebox';
import {
  CreatedWebhookSchema,
  CreateWebhookBody,
  NoContentSchema as NoContent,
  Uuid,
  WebhookParams,
  WebhookPostBody,
  WebhookPostedSchema,
  WebhookTokenParams,
  WebhookViewSchema,
  type CreatedWebhook,
  type WebhookPosted,
} from '@parley/protocol';
import type { WebhookService } from './webhook-service.ts';

const ConversationParams = Type.Object({ id: Uuid });

/** Webhook management: group admins create and revoke, members list. */
export function registerWebhookRoutes(app: FastifyInstance, webhooks: WebhookService): void {
  app.post<{ Params: Static<typeof ConversationParams>; Body: CreateWebhookBody; Reply: CreatedWebhook }>(
    '/api/v1/conversations/:id/webhooks',
    {
      schema: {
        summary: 'Create an incoming webhook posting into this group (admins; the secret URL is in this answer only)',
        params: ConversationParams,
        body: CreateWebhookBody,
        response: { 201: CreatedWebhookSchema },
      },
    },
    async (req, reply) => reply.status(201).send(await webhooks.create(req.userId, req.params.id, req.body.name)),
  );
  app.get<{ Params: Static<typeof ConversationParams> }>(
    '/api/v1/conversations/:id/webhooks',
    {
      schema: {
        summary: "A conversation's webhooks, without their secrets",
        params: ConversationParams,
        response: { 200: Type.Object({ webhooks: Type.Array(WebhookViewSchema) }) },
      },
    },
    async (req) => ({ webhooks: await webhooks.list(req.userId, req.params.id) }),
  );
  app.delete<{ Params: Static<typeof WebhookParams> }>(
    '/api/v1/conversations/:id/webhooks/:webhookId',
    { schema: { summary: 'Revoke a webhook: its URL answers 404 from now on (admins)', params: WebhookParams, response: { 204: NoContent } } },
    async (req, reply) => {
      await webhooks.revoke(req.userId, req.params.id, req.params.webhookId);
      return reply.status(204).send();
    },
  );
}

/** `POST /api/v1/hooks/:token`: public, the secret is the path. */
export function registerWebhookPostRoute(app: FastifyInstance, webhooks: WebhookService): void {
  app.post<{ Params: Static<typeof WebhookTokenParams>; Body: WebhookPostBody; Reply: WebhookPosted }>(
    '/api/v1/hooks/:token',
    {
      schema: {
        summary: 'Post a message through an incoming webhook (JSON: text, optional display_name); 404 once revoked',
        params: WebhookTokenParams,
        body: WebhookPostBody,
        response: { 201: WebhookPostedSchema },
      },
    },
    async (req, reply) => reply.status(201).send(await webhooks.post(req.params.token, req.body, req.clientIp)),
  );
}

/**
 * Per-address limit of the webhook URL (onRequest): integrations post from
 * one address, so it is the REST budget (`RATE_LIMIT_REST`), not the login
 * one; each webhook has its own message budget besides.
 */
export function limitWebhookAddress(limiter: RateLimiter, limits: Pick<Config['limits'], 'rest'>, audit: Audit) {
  return async (req: FastifyRequest): Promise<void> => {
    const wait = await limiter.take(`hooks:${req.clientIp}`, limits.rest);
    if (wait > 0) {
      audit.event('rate_limited', { scope: 'webhook_address', ip: req.clientIp });
      throw new AppError('rate_limited', 'too many requests', { retryAfter: wait });
    }
  };
}
