import type { FastifyInstance } from 'fastify';
import {
  AuthResponseSchema,
  ChangePasswordBody,
  LoginBody,
  NoContentSchema as NoContent,
  RefreshBody,
  RegisterBody,
  WsTicketResponseSchema,
  type AuthResponse,
  type WsTicketResponse,
} from '@parley/protocol';
import type { AuthService } from './auth-service.ts';

/** Public auth routes: nothing here needs an access token. */
export function registerAuthRoutes(app: FastifyInstance, auth: AuthService): void {
  app.post<{ Body: RegisterBody; Reply: AuthResponse }>(
    '/api/v1/auth/register',
    { schema: { summary: 'Create an account; starts a session', body: RegisterBody, response: { 201: AuthResponseSchema } } },
    async (req, reply) => reply.status(201).send(await auth.register(req.body, req.clientIp)),
  );
  app.post<{ Body: LoginBody; Reply: AuthResponse }>(
    '/api/v1/auth/login',
    { schema: { summary: 'Log in; starts a session', body: LoginBody, response: { 200: AuthResponseSchema } } },
    (req) => auth.login(req.body, req.clientIp),
  );
  app.post<{ Body: RefreshBody; Reply: AuthResponse }>(
    '/api/v1/auth/refresh',
    { schema: { summary: 'Trade a refresh token for new tokens (it is rotated)', body: RefreshBody, response: { 200: AuthResponseSchema } } },
    (req) => auth.refresh(req.body.refresh_token),
  );
  app.post<{ Body: RefreshBody }>('/api/v1/auth/logout', { schema: { summary: 'End the session of a refresh token', body: RefreshBody, response: { 204: NoContent } } }, async (req, reply) => {
    await auth.logout(req.body.refresh_token);
    return reply.status(204).send();
  });
}

/** Auth routes that need an access token. */
export function registerAuthenticatedAuthRoutes(app: FastifyInstance, auth: AuthService): void {
  app.post<{ Reply: WsTicketResponse }>('/api/v1/auth/ws-ticket', { schema: { summary: 'A one-use ticket for a WebSocket handshake', response: { 200: WsTicketResponseSchema } } }, (req) =>
    auth.issueWsTicket(req.token),
  );
  // Changing the password revokes every session and returns the tokens of a new one.
  app.post<{ Body: ChangePasswordBody; Reply: AuthResponse }>(
    '/api/v1/auth/password',
    { schema: { summary: 'Change the password; revokes every session and starts a new one', body: ChangePasswordBody, response: { 200: AuthResponseSchema } } },
    (req) => auth.changePassword(req.token, req.body.current_password, req.body.new_password),
  );
}
