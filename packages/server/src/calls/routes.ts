import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { iceServersFor } from './ice-servers.ts';

export function registerCallRoutes(app: FastifyInstance, turn: Config['turn']): void {
  app.get('/api/v1/calls/ice-servers', { config: { limit: 'ice' } }, async (req, reply) => {
    // Credentials: never cached by anything between us and the client.
    reply.header('cache-control', 'no-store');
    return iceServersFor(req.userId, turn);
  });
}
