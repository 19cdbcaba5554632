import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import {
  ConversationParams,
  HistoryQuery,
  HistoryResponseSchema,
  SendMessageBody,
  SentMessageResponseSchema,
  type MessageContent,
} from '@parley/protocol';
import type { MessagingService } from './messaging-service.ts';

type Params = { id: string };

export function registerMessagingRoutes(app: FastifyInstance, messaging: MessagingService): void {
  app.get<{ Params: Params; Querystring: HistoryQuery; Reply: Static<typeof HistoryResponseSchema> }>(
    '/api/v1/conversations/:id/messages',
    { schema: { summary: 'A page of history, by before_seq or after_seq', params: ConversationParams, querystring: HistoryQuery, response: { 200: HistoryResponseSchema } } },
    (req) => messaging.history(req.userId, req.params.id, req.query),
  );
  // The same idempotent send as the WebSocket's: 201 when stored, 200 when it was a retry.
  app.post<{ Params: Params; Body: MessageContent; Reply: Static<typeof SentMessageResponseSchema> }>(
    '/api/v1/conversations/:id/messages',
    {
      schema: {
        summary: 'Send a message; idempotent per client_msg_id',
        params: ConversationParams,
        body: SendMessageBody,
        response: { 200: SentMessageResponseSchema, 201: SentMessageResponseSchema },
      },
      config: { limit: 'messages' },
    },
    async (req, reply) => {
      const { entry, duplicate } = await messaging.send(req.userId, req.params.id, req.body);
      return reply.status(duplicate ? 200 : 201).send({ ...entry, duplicate });
    },
  );
}
