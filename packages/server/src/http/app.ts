import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import type { Logger } from 'pino';
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import type { UserId } from '@parley/protocol';
import type { Config, LimitName } from '../config.ts';
import { AppError, toAppError } from '../errors.ts';
import type { AccessTokens, VerifiedToken } from '../auth/access-tokens.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { Audit } from '../audit.ts';
import type { Metrics } from '../metrics.ts';
import { describeFirstError, refuseUnstorableText } from './validation.ts';
import { clientAddress } from './client-address.ts';
import { ErrorObserver, errorBody, errorHeaders } from '../wire-errors.ts';
import { UPLOADS_PATH, UPLOAD_CORS } from '../attachments/upload-routes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address by TRUST_PROXY_HOPS (`clientAddress`): what per-address limits and audit lines use. */
    clientIp: string;
    userId: UserId;
    token: VerifiedToken;
  }
  interface FastifyContextConfig {
    /** A per-user limit this route counts against, besides the general REST one. */
    limit?: LimitName;
  }
}

/** REST bodies are small JSON documents; messages are capped far below this. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface HttpDeps {
  config: Pick<Config, 'publicOrigins' | 'security'>;
  log: Logger;
  audit: Audit;
  metrics: Pick<Metrics, 'dependencyUnavailable' | 'httpRequests'>;
}

/**
 * The Fastify instance with Parley's conventions: TypeBox validation (the same
 * compiled schemas as WebSocket frames), one error shape, security headers,
 * CORS only for configured origins, HTTPS when a certificate is configured,
 * and no token or body in any log line. Routes are registered by each capability.
 */
export async function buildHttp({ config, log, audit, metrics }: HttpDeps): Promise<FastifyInstance> {
  const { tlsCertFile, tlsKeyFile, trustProxyHops } = config.security;
  const https = tlsCertFile && tlsKeyFile ? { cert: readFileSync(tlsCertFile), key: readFileSync(tlsKeyFile) } : null;
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify's req.ip (request log lines) follows the same rule as clientAddress.
    trustProxy: (_address: string, hop: number) => hop < trustProxyHops,
    // Errors Fastify raises before routing (a path that is not valid percent-encoded UTF-8) get our error shape too.
    frameworkErrors: (_err, _req, reply) => {
      void (reply as FastifyReply).status(400).send(errorBody(new AppError('validation_failed', 'the URL is not valid')));
    },
    ...(https ? { https } : {}),
  }) as unknown as FastifyInstance;

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS only means something over HTTPS; behind nginx, nginx sends it.
    strictTransportSecurity: https ? { maxAge: 63_072_000, includeSubDomains: true } : false,
  });
  // Browsers on other origins may call the API only when listed in PUBLIC_ORIGINS;
  // the tus upload routes take more methods and headers (and expose tus' own).
  // Any other origin gets no CORS header at all (its preflight: 404).
  const origins = new Set(config.publicOrigins);
  const apiCors = { origin: true, methods: ['GET', 'POST', 'DELETE'], allowedHeaders: ['authorization', 'content-type'], maxAge: 600 };
  const uploadCors = { origin: true, ...UPLOAD_CORS, maxAge: 600 };
  await app.register(cors, {
    delegator: (req, done) => {
      const origin = req.headers.origin;
      if (!origin || !origins.has(origin)) return done(null, { origin: false });
      done(null, req.url === UPLOADS_PATH || req.url.startsWith(`${UPLOADS_PATH}/`) ? uploadCors : apiCors);
    },
  });

  // Labelled by route pattern (`/api/v1/conversations/:id`), never by the path itself: ids stay out of labels.
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests.inc({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status_class: `${Math.floor(reply.statusCode / 100)}xx`,
    });
  });

  app.decorateRequest('clientIp', '');
  app.addHook('onRequest', async (req) => {
    req.clientIp = clientAddress(req.raw, trustProxyHops);
  });

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validator = Compile(schema as TSchema);
    return (data: unknown) => {
      // Query strings and path params arrive as strings: convert ("5" → 5) before checking.
      const value = httpPart === 'body' ? data : validator.Convert(data);
      if (!validator.Check(value)) {
        return { error: new AppError('validation_failed', `${httpPart}.${describeFirstError(validator, value)}`) };
      }
      const unstorable = refuseUnstorableText(value, `${httpPart}.`);
      return unstorable ? { error: unstorable } : { value };
    };
  });

  // Response schemas document the contract (and type the handlers); they do
  // not shape the output. Fastify would compile them with fast-json-stringify,
  // which silently drops any field a schema does not list: a schema lagging
  // behind a handler would then lose data instead of only being out of date.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const errors = new ErrorObserver(log, audit, metrics);
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    const e = errors.observe(fromFastifyError(err), { action: `${req.method} ${req.routeOptions.url ?? ''}`, userId: req.userId || null }, req.log as Logger);
    return reply.status(e.status).headers(errorHeaders(e)).send(errorBody(e));
  });

  app.setNotFoundHandler((_req, reply) =>
    reply.status(404).send(errorBody(new AppError('not_found', 'no such endpoint'))),
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

/**
 * onRequest hooks of the API's two scopes. Public routes count against the
 * client address; authenticated ones require `Authorization: Bearer <access
 * token>`, set `req.userId`, and count against the user (and the route's own
 * limit, such as `messages` for REST sends).
 */
export function limitPublic(limiter: RateLimiter, limits: Config['limits'], audit: Audit) {
  return async (req: FastifyRequest): Promise<void> => {
    const wait = await limiter.take(`public:${req.clientIp}`, limits.public);
    if (wait > 0) {
      audit.event('rate_limited', { scope: 'public', ip: req.clientIp });
      throw new AppError('rate_limited', 'too many requests', { retryAfter: wait });
    }
  };
}

export function requireUser(tokens: AccessTokens, limiter: RateLimiter, limits: Config['limits'], audit: Audit) {
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new AppError('unauthenticated', 'missing bearer token');
    req.token = await tokens.verify(header.slice(7));
    req.userId = req.token.userId;
    const routeLimit = req.routeOptions.config.limit;
    const wait = Math.max(
      await limiter.take(`rest:${req.userId}`, limits.rest),
      routeLimit ? await limiter.take(`${routeLimit}:${req.userId}`, limits[routeLimit]) : 0,
    );
    if (wait > 0) {
      audit.event('rate_limited', { scope: routeLimit ?? 'rest', user_id: req.userId });
      throw new AppError('rate_limited', 'too many requests', { retryAfter: wait });
    }
  };
}
