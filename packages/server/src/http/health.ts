import type { FastifyInstance } from 'fastify';
import type { Database } from '../store/database.ts';

/** Liveness (the process answers) and readiness (it can reach its database and is not draining). */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { db: Database; isShuttingDown: () => boolean },
): void {
  app.get('/healthz', { logLevel: 'warn', schema: { summary: 'Liveness: the process answers' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn', schema: { summary: 'Readiness: the database answers and the instance is not draining' } }, async (_req, reply) => {
    if (deps.isShuttingDown()) return reply.status(503).send({ status: 'draining' });
    try {
      await deps.db.query('SELECT 1');
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ status: 'database unavailable' });
    }
  });
}
