import type { FastifyInstance } from 'fastify';
import { AddMembersBody, ConversationParams, CreateConversationBody, MemberParams, MembersQuery } from '@parley/protocol';
import type { ConversationsService } from './conversations-service.ts';

type Params = { id: string };

export function registerConversationRoutes(app: FastifyInstance, conversations: ConversationsService): void {
  app.post<{ Body: CreateConversationBody }>(
    '/api/v1/conversations',
    { schema: { body: CreateConversationBody } },
    async (req, reply) => {
      const { view, created } = await conversations.create(req.userId, req.body);
      return reply.status(created ? 201 : 200).send(view);
    },
  );
  app.get('/api/v1/conversations', async (req) => ({ conversations: await conversations.list(req.userId) }));
  app.get<{ Params: Params }>('/api/v1/conversations/:id', { schema: { params: ConversationParams } }, (req) =>
    conversations.get(req.userId, req.params.id),
  );
  app.get<{ Params: Params; Querystring: MembersQuery }>(
    '/api/v1/conversations/:id/members',
    { schema: { params: ConversationParams, querystring: MembersQuery } },
    (req) => conversations.members(req.userId, req.params.id, req.query),
  );
  app.post<{ Params: Params; Body: AddMembersBody }>(
    '/api/v1/conversations/:id/members',
    { schema: { params: ConversationParams, body: AddMembersBody } },
    (req) => conversations.addMembers(req.userId, req.params.id, req.body.user_ids),
  );
  app.delete<{ Params: Params & { userId: string } }>(
    '/api/v1/conversations/:id/members/:userId',
    { schema: { params: MemberParams } },
    async (req, reply) => {
      await conversations.removeMember(req.userId, req.params.id, req.params.userId);
      return reply.status(204).send();
    },
  );
}
