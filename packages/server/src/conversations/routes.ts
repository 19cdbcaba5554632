import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import {
  AddMembersBody,
  AddMembersResponseSchema,
  ConversationListResponseSchema,
  ConversationParams,
  ConversationViewSchema,
  CreateConversationBody,
  MemberParams,
  MembersPageSchema,
  MembersQuery,
  NoContentSchema,
  SetRoleBody,
  UpdateConversationBody,
  type ConversationView,
} from '@parley/protocol';
import type { ConversationsService } from './conversations-service.ts';

type Params = { id: string };

export function registerConversationRoutes(app: FastifyInstance, conversations: ConversationsService): void {
  // 201 when created; 200 with the existing conversation when a direct one already exists.
  app.post<{ Body: CreateConversationBody; Reply: ConversationView }>(
    '/api/v1/conversations',
    { schema: { summary: 'Create a conversation (an existing direct one is returned)', body: CreateConversationBody, response: { 200: ConversationViewSchema, 201: ConversationViewSchema } } },
    async (req, reply) => {
      const { view, created } = await conversations.create(req.userId, req.body);
      return reply.status(created ? 201 : 200).send(view);
    },
  );
  app.get<{ Reply: Static<typeof ConversationListResponseSchema> }>(
    '/api/v1/conversations',
    { schema: { summary: "The caller's conversations", response: { 200: ConversationListResponseSchema } } },
    async (req) => ({ conversations: await conversations.list(req.userId) }),
  );
  app.get<{ Params: Params; Reply: ConversationView }>(
    '/api/v1/conversations/:id',
    { schema: { summary: 'One conversation', params: ConversationParams, response: { 200: ConversationViewSchema } } },
    (req) => conversations.get(req.userId, req.params.id),
  );
  app.get<{ Params: Params; Querystring: MembersQuery; Reply: Static<typeof MembersPageSchema> }>(
    '/api/v1/conversations/:id/members',
    {
      schema: {
        summary: 'Members in join order, with their delivered and read cursors, a page at a time',
        params: ConversationParams,
        querystring: MembersQuery,
        response: { 200: MembersPageSchema },
      },
    },
    (req) => conversations.members(req.userId, req.params.id, req.query),
  );
  app.post<{ Params: Params; Body: AddMembersBody; Reply: Static<typeof AddMembersResponseSchema> }>(
    '/api/v1/conversations/:id/members',
    { schema: { summary: 'Add members to a group (up to its size cap)', params: ConversationParams, body: AddMembersBody, response: { 200: AddMembersResponseSchema } } },
    (req) => conversations.addMembers(req.userId, req.params.id, req.body.user_ids),
  );
  app.patch<{ Params: Params; Body: UpdateConversationBody; Reply: ConversationView }>(
    '/api/v1/conversations/:id',
    { schema: { summary: "Rename a group or set its description (admins); null clears", params: ConversationParams, body: UpdateConversationBody, response: { 200: ConversationViewSchema } } },
    (req) => conversations.update(req.userId, req.params.id, req.body),
  );
  app.put<{ Params: Params & { userId: string }; Body: SetRoleBody }>(
    '/api/v1/conversations/:id/members/:userId/role',
    { schema: { summary: "Make a member an admin or an admin a member (admins; a group keeps at least one admin)", params: MemberParams, body: SetRoleBody, response: { 204: NoContentSchema } } },
    async (req, reply) => {
      await conversations.setRole(req.userId, req.params.id, req.params.userId, req.body.role);
      return reply.status(204).send();
    },
  );
  app.delete<{ Params: Params & { userId: string } }>(
    '/api/v1/conversations/:id/members/:userId',
    { schema: { summary: 'Remove a member from a conversation', params: MemberParams, response: { 204: NoContentSchema } } },
    async (req, reply) => {
      await conversations.removeMember(req.userId, req.params.id, req.params.userId);
      return reply.status(204).send();
    },
  );
}
