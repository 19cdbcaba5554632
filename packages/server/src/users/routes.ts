import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { UserListResponseSchema, UserSearchQuery, UserViewSchema, type UserView } from '@parley/protocol';
import { AppError } from '../errors.ts';
import type { UsersRepo } from './users-repo.ts';

export function registerUserRoutes(app: FastifyInstance, users: UsersRepo): void {
  app.get<{ Reply: UserView }>('/api/v1/users/me', { schema: { summary: 'The caller', response: { 200: UserViewSchema } } }, async (req) => {
    const me = await users.findById(req.userId);
    if (!me) throw new AppError('unauthenticated', 'user no longer exists');
    return me;
  });
  app.get<{ Querystring: UserSearchQuery; Reply: Static<typeof UserListResponseSchema> }>(
    '/api/v1/users',
    { schema: { summary: 'Find users by username prefix', querystring: UserSearchQuery, response: { 200: UserListResponseSchema } } },
    async (req) => ({ users: await users.search(req.query.query, req.query.limit ?? 20, req.userId) }),
  );
}
