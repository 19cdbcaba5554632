import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import type { UserId } from '@parley/protocol';
import { AppError, toAppError } from '../errors.ts';
import type { AccessTokens } from '../auth/access-tokens.ts';
import { describeFirstError } from './validation.ts';

declare module 'fastify' {
  interface FastifyRequest {
    userId: UserId;
  }
}

/** REST bodies are small JSON documents; messages are capped far below this. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The Fastify instance with Parley's conventions: TypeBox validation (the same
 * compiled schemas as WebSocket frames), one error shape, no token or body in
 * any log line. Routes are registered by each capability.
 */
export function buildHttp(log: Logger): FastifyInstance {
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, bodyLimit: BODY_LIMIT_BYTES });

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validator = Compile(schema as TSchema);
    return (data: unknown) => {
      // Query strings and path params arrive as strings: convert ("5" → 5) before checking.
      const value = httpPart === 'body' ? data : validator.Convert(data);
      if (validator.Check(value)) return { value };
      return { error: new AppError('validation_failed', `${httpPart}.${describeFirstError(validator, value)}`) };
    };
  });

  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    const e = fromFastifyError(err);
    if (e.code === 'internal') req.log.error({ err }, 'request failed');
    const body = { error: { code: e.code, message: e.message, ...(e.retryAfter !== undefined ? { retry_after: e.retryAfter } : {}) } };
    if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
    return reply.status(e.status).send(body);
  });

  app.setNotFoundHandler((_req, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: 'no such endpoint' } }),
  );

  return app;
}

function fromFastifyError(err: FastifyError | AppError): AppError {
  if (err instanceof AppError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new AppError('payload_too_large', 'request body is too large');
  const status = err.statusCode ?? 500;
  // Fastify's own 4xx (bad JSON, wrong content type, empty body) are the client's input errors.
  if (status >= 400 && status < 500) return new AppError('validation_failed', err.message);
  return toAppError(err);
}

/** An onRequest hook that requires `Authorization: Bearer <access token>` and sets `req.userId`. */
export function requireUser(tokens: AccessTokens) {
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new AppError('unauthenticated', 'missing bearer token');
    req.userId = (await tokens.verify(header.slice(7))).userId;
  };
}
