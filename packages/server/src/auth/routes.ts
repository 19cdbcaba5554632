import type { FastifyInstance } from 'fastify';
import { ChangePasswordBody, LoginBody, RefreshBody, RegisterBody } from '@parley/protocol';
import type { AuthService } from './auth-service.ts';

/** Public auth routes: nothing here needs an access token. */
export function registerAuthRoutes(app: FastifyInstance, auth: AuthService): void {
  app.post<{ Body: RegisterBody }>('/api/v1/auth/register', { schema: { body: RegisterBody } }, async (req, reply) =>
    reply.status(201).send(await auth.register(req.body, req.clientIp)),
  );
  app.post<{ Body: LoginBody }>('/api/v1/auth/login', { schema: { body: LoginBody } }, (req) => auth.login(req.body, req.clientIp));
  app.post<{ Body: RefreshBody }>('/api/v1/auth/refresh', { schema: { body: RefreshBody } }, (req) =>
    auth.refresh(req.body.refresh_token),
  );
  app.post<{ Body: RefreshBody }>('/api/v1/auth/logout', { schema: { body: RefreshBody } }, async (req, reply) => {
    await auth.logout(req.body.refresh_token);
    return reply.status(204).send();
  });
}

/** Auth routes that need an access token. */
export function registerAuthenticatedAuthRoutes(app: FastifyInstance, auth: AuthService): void {
  app.post('/api/v1/auth/ws-ticket', (req) => auth.issueWsTicket(req.token));
  app.post<{ Body: ChangePasswordBody }>('/api/v1/auth/password', { schema: { body: ChangePasswordBody } }, (req) =>
    auth.changePassword(req.token, req.body.current_password, req.body.new_password),
  );
}
