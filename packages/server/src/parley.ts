import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './store/database.ts';
import { openDatabase } from './store/open-database.ts';
import type { Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory-bus.ts';
import { Notifier } from './bus/notifier.ts';
import { createLogger } from './logger.ts';
import { buildHttp, requireUser } from './http/app.ts';
import { registerHealthRoutes } from './http/health.ts';
import { AccessTokens } from './auth/access-tokens.ts';
import { AuthService } from './auth/auth-service.ts';
import { registerAuthRoutes, registerAuthenticatedAuthRoutes } from './auth/routes.ts';
import { UsersRepo } from './users/users-repo.ts';
import { registerUserRoutes } from './users/routes.ts';
import { ConversationsService } from './conversations/conversations-service.ts';
import { registerConversationRoutes } from './conversations/routes.ts';
import { MessagingService } from './messaging/messaging-service.ts';
import { registerMessagingRoutes } from './messaging/routes.ts';
import { Hub } from './gateway/hub.ts';
import { WsGateway } from './gateway/ws-gateway.ts';

export interface ParleyOptions {
  /** Use this database instead of opening the configured one (tests share one per file). It is not closed by `close()`. */
  db?: Database;
  /** Use this bus instead of the configured one (several in-process instances may share a MemoryBus). Not closed by `close()`. */
  bus?: Bus;
  log?: Logger;
}

export interface Parley {
  http: FastifyInstance;
  db: Database;
  hub: Hub;
  log: Logger;
  /** Listens on the configured host and port; resolves to the base URL. */
  listen(): Promise<string>;
  /** Graceful stop: no new sockets, in-flight frames finish, sockets close with 1012, then storage closes. */
  close(): Promise<void>;
}

/** The composition root: wires adapters chosen by configuration into the capabilities. */
export async function createParley(config: Readonly<Config>, options: ParleyOptions = {}): Promise<Parley> {
  const log = options.log ?? createLogger(config.logLevel);
  const db = options.db ?? (await openDatabase(config));
  const bus = options.bus ?? new MemoryBus();
  const notifier = new Notifier(bus, log);

  const tokens = new AccessTokens(db, {
    issuer: config.jwt.issuer,
    audience: config.jwt.audience,
    ttlSeconds: config.jwt.accessTtl,
  });
  await tokens.init();
  const auth = new AuthService(db, tokens, config.jwt.refreshTtl);
  const conversations = new ConversationsService(db, notifier);
  const messaging = new MessagingService(db, notifier);
  const hub = new Hub(bus, log);
  const gateway = new WsGateway({ config, tokens, auth, messaging, hub, log });

  let shuttingDown = false;
  const http = buildHttp(log);
  registerHealthRoutes(http, { db, isShuttingDown: () => shuttingDown });
  registerAuthRoutes(http, auth);
  await http.register(async (scope) => {
    scope.addHook('onRequest', requireUser(tokens));
    registerAuthenticatedAuthRoutes(scope, auth);
    registerUserRoutes(scope, new UsersRepo(db));
    registerConversationRoutes(scope, conversations);
    registerMessagingRoutes(scope, messaging);
  });
  await http.ready();
  gateway.attach(http.server);

  return {
    http,
    db,
    hub,
    log,
    async listen() {
      await http.listen({ port: config.port, host: config.host });
      const { port } = http.server.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      return `http://${host}:${port}`;
    },
    async close() {
      shuttingDown = true;
      await gateway.close();
      await http.close();
      if (!options.bus) await bus.close();
      if (!options.db) await db.close();
    },
  };
}
