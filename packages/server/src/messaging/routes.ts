import type { FastifyInstance } from 'fastify';
import { ConversationParams, HistoryQuery, SendMessageBody, type MessageContent } from '@parley/protocol';
import type { MessagingService } from './messaging-service.ts';

type Params = { id: string };

export function registerMessagingRoutes(app: FastifyInstance, messaging: MessagingService): void {
  app.get<{ Params: Params; Querystring: HistoryQuery }>(
    '/api/v1/conversations/:id/messages',
    { schema: { params: ConversationParams, querystring: HistoryQuery } },
    (req) => messaging.history(req.userId, req.params.id, req.query),
  );
  // The same idempotent send as the WebSocket's: 201 when stored, 200 when it was a retry.
  app.post<{ Params: Params; Body: MessageContent }>(
    '/api/v1/conversations/:id/messages',
    { schema: { params: ConversationParams, body: SendMessageBody }, config: { limit: 'messages' } },
    async (req, reply) => {
      const { entry, duplicate } = await messaging.send(req.userId, req.params.id, req.body);
      return reply.status(duplicate ? 200 : 201).send({ ...entry, duplicate });
    },
  );
}
