import type { FastifyInstance } from 'fastify';
import { UserSearchQuery } from '@parley/protocol';
import { AppError } from '../errors.ts';
import type { UsersRepo } from './users-repo.ts';

export function registerUserRoutes(app: FastifyInstance, users: UsersRepo): void {
  app.get('/api/v1/users/me', async (req) => {
    const me = await users.findById(req.userId);
    if (!me) throw new AppError('unauthenticated', 'user no longer exists');
    return me;
  });
  app.get<{ Querystring: UserSearchQuery }>('/api/v1/users', { schema: { querystring: UserSearchQuery } }, async (req) => ({
    users: await users.search(req.query.query, req.query.limit ?? 20, req.userId),
  }));
}
