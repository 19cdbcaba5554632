import type { FastifyInstance } from 'fastify';
import { IceServersResponseSchema, type IceServersResponse } from '@parley/protocol';
import type { Config } from '../config.ts';
import { iceServersFor } from './ice-servers.ts';

export function registerCallRoutes(app: FastifyInstance, turn: Config['turn']): void {
  app.get<{ Reply: IceServersResponse }>(
    '/api/v1/calls/ice-servers',
    { schema: { summary: 'STUN/TURN servers with short-lived TURN credentials', response: { 200: IceServersResponseSchema } }, config: { limit: 'ice' } },
    async (req, reply) => {
      // Credentials: never cached by anything between us and the client.
      reply.header('cache-control', 'no-store');
      return iceServersFor(req.userId, turn);
    },
  );
}
