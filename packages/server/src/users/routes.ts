import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { MeViewSchema, UpdateProfileBody, UserDirectoryQuery, UserDirectoryResponseSchema, UserListResponseSchema, UserParams, UserSearchQuery, UserViewSchema, type MeView, type UserView } from '@parley/protocol';
import { AppError } from '../errors.ts';
import type { UsersRepo } from './users-repo.ts';

export function registerUserRoutes(app: FastifyInstance, users: UsersRepo, isOperator: (userId: string) => Promise<boolean>): void {
  app.get<{ Reply: MeView }>('/api/v1/users/me', { schema: { summary: 'The caller, and whether they are a server operator', response: { 200: MeViewSchema } } }, async (req) => {
    const me = await users.findById(req.userId);
    if (!me) throw new AppError('unauthenticated', 'user no longer exists');
    return { ...me, is_operator: await isOperator(req.userId) };
  });
  app.patch<{ Body: UpdateProfileBody; Reply: UserView }>(
    '/api/v1/users/me',
    { schema: { summary: "Change the caller's display name", body: UpdateProfileBody, response: { 200: UserViewSchema } } },
    async (req) => {
      const me = await users.rename(req.userId, req.body.display_name);
      if (!me) throw new AppError('unauthenticated', 'user no longer exists');
      return me;
    },
  );
  // Anyone signed in may find anyone by name (above), so naming a user by id shows no more: it keeps
  // people who left a conversation nameable in its history, where the member list no longer has them.
  app.get<{ Params: { id: string }; Reply: UserView }>(
    '/api/v1/users/:id',
    { schema: { summary: 'One user, by id', params: UserParams, response: { 200: UserViewSchema } } },
    async (req) => {
      const user = await users.findById(req.params.id);
      if (!user) throw new AppError('user_not_found', 'no such user');
      return user;
    },
  );
  // Everyone signed in may find anyone by name, so listing them all shows no more: a directory to browse.
  app.get<{ Querystring: UserDirectoryQuery; Reply: Static<typeof UserDirectoryResponseSchema> }>(
    '/api/v1/users/directory',
    { schema: { summary: 'Everyone (but the caller), by username, a page at a time', querystring: UserDirectoryQuery, response: { 200: UserDirectoryResponseSchema } } },
    (req) => users.directory(req.query.after ?? null, req.query.limit ?? 30, req.userId),
  );
  app.get<{ Querystring: UserSearchQuery; Reply: Static<typeof UserListResponseSchema> }>(
    '/api/v1/users',
    { schema: { summary: 'Find users by a part of their username or display name (anywhere in it from 3 characters)', querystring: UserSearchQuery, response: { 200: UserListResponseSchema } } },
    async (req) => ({ users: await users.search(req.query.query, req.query.limit ?? 20, req.userId) }),
  );
}
