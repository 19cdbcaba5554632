import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './store/database.ts';
import { openDatabase } from './store/open-database.ts';
import type { Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory-bus.ts';
import { Notifier } from './bus/notifier.ts';
import { FanOutPolicy } from './bus/fan-out-policy.ts';
import { createLogger } from './logger.ts';
import { buildHttp, limitPublic, requireUser } from './http/app.ts';
import { MemoryRateLimiter, type RateLimiter } from './limits/rate-limiter.ts';
import { RedisRateLimiter } from './limits/redis-rate-limiter.ts';
import { Audit } from './audit.ts';
import { registerHealthRoutes } from './http/health.ts';
import { registerWebClient } from './http/web.ts';
import { AccessTokens } from './auth/access-tokens.ts';
import { AuthService } from './auth/auth-service.ts';
import { RevokedSessions } from './auth/revoked-sessions.ts';
import { registerAuthRoutes, registerAuthenticatedAuthRoutes } from './auth/routes.ts';
import { UsersRepo } from './users/users-repo.ts';
import { registerUserRoutes } from './users/routes.ts';
import { ConversationsService } from './conversations/conversations-service.ts';
import { registerConversationRoutes } from './conversations/routes.ts';
import { MessagingService } from './messaging/messaging-service.ts';
import { registerMessagingRoutes } from './messaging/routes.ts';
import { MessageChanges } from './messaging/message-changes.ts';
import { registerMessageChangeRoutes } from './messaging/change-routes.ts';
import { Threads } from './messaging/threads.ts';
import { registerThreadRoutes } from './messaging/thread-routes.ts';
import { Hub } from './gateway/hub.ts';
import { WsGateway } from './gateway/ws-gateway.ts';
import { largeRoomsOf } from './conversations/conversations-repo.ts';
import { RedisBus } from './bus/redis-bus.ts';
import { openRedis, type RedisConnections } from './redis.ts';
import { RedisMemoryProbe } from './redis-memory.ts';
import type { PresenceStore } from './presence/presence-store.ts';
import { MemoryPresence } from './presence/memory-presence.ts';
import { RedisPresence } from './presence/redis-presence.ts';
import { PresenceService } from './presence/presence-service.ts';
import { Metrics } from './metrics.ts';
import { MetricsServer } from './http/metrics-server.ts';
import type { CallStore } from './calls/call-store.ts';
import { MemoryCallStore } from './calls/memory-call-store.ts';
import { RedisCallStore } from './calls/redis-call-store.ts';
import { CallService } from './calls/call-service.ts';
import { registerCallRoutes } from './calls/routes.ts';
import { SearchService } from './search/search-service.ts';
import { registerSearchRoutes } from './search/routes.ts';
import { collectRoutes, markAccess, type CatalogueRoute } from './api-docs/route-catalogue.ts';
import { registerApiDocsRoutes } from './api-docs/routes.ts';
import { OutboxRelay, outboxBacklog } from './events/outbox-relay.ts';
import { KafkaSink } from './events/kafka-sink.ts';
import { activeTracer, startTracing, stopTracing } from './tracing/tracer.ts';
import { traceDatabase } from './tracing/traced-database.ts';
import { traceHttp } from './tracing/http-tracing.ts';
import { BotService } from './bots/bot-service.ts';
import { registerBotLoginRoute, registerBotRoutes, registerOperatorBotRoutes } from './bots/routes.ts';
import { filterBotConversations, guardBotScope } from './bots/scope.ts';
import { WebhookService } from './webhooks/webhook-service.ts';
import { limitWebhookAddress, registerWebhookPostRoute, registerWebhookRoutes } from './webhooks/routes.ts';
import { createAttachments, type Attachments } from './attachments/attachments.ts';
import type { BlobStore } from './attachments/storage/blob-store.ts';
import { ConsumerHost } from './consumers/consumer-host.ts';
import { buildConsumers } from './consumers/consumers.ts';
import { Sanctions } from './moderation/sanctions.ts';
import { Operators } from './moderation/operators.ts';
import { EventEndpoints } from './integrations/endpoint-service.ts';
import { DeliveryQueue } from './integrations/delivery-queue.ts';
import { DeliveryWorker } from './integrations/delivery-worker.ts';
import { registerEventEndpointRoutes } from './integrations/routes.ts';
import { ModerationService } from './moderation/moderation-service.ts';
import { LogEntryModerator } from './moderation/message-moderator.ts';
import type { Classifier } from './moderation/classifier.ts';
import { registerOperatorRoutes, registerReportRoutes } from './moderation/routes.ts';

export interface ParleyOptions {
  /** Use this database instead of opening the configured one (tests share one per file). It is not closed by `close()`. */
  db?: Database;
  /** Use this bus instead of the configured one (several in-process instances may share a MemoryBus). Not closed by `close()`. */
  bus?: Bus;
  /** Use this presence store (in-process instances may share a MemoryPresence). Not closed by `close()`. */
  presence?: PresenceStore;
  /** Use this call store (in-process instances may share a MemoryCallStore). */
  calls?: CallStore;
  /** Use this attachment blob store instead of the configured one (in-process instances may share one). Not closed by `close()`. */
  blobs?: BlobStore;
  log?: Logger;
  classifier?: Classifier;
}

export interface Parley {
  http: FastifyInstance;
  db: Database;
  hub: Hub;
  bus: Bus;
  metrics: Metrics;
  log: Logger;
  /** Every API route registered, with its schemas (what the API documents list; the web client's catch-all is not one). */
  routes(): CatalogueRoute[];
  /** Moves the outbox to Kafka (when KAFKA_BROKERS is set) while this instance holds the relay lease; prunes it. */
  relay: OutboxRelay;
  /** Uploads, their processing pipeline (its worker runs on every instance) and serving. */
  attachments: Attachments;
  /** The event consumers (moderation, analytics) running in this process, on the outbox or on Kafka. */
  consumers: ConsumerHost;
  /** Listens on the configured host and port (and the metrics listener, when configured); resolves to the base URL. */
  listen(): Promise<string>;
  /** Base URL of the metrics listener once listening (`/metrics` there); null without METRICS_PORT. */
  readonly metricsUrl: string | null;
  /** Graceful stop: no new sockets, in-flight frames finish, sockets close with 1012, then storage closes. */
  close(): Promise<void>;
}

/** The composition root: wires adapters chosen by configuration into the capabilities. */
export async function createParley(config: Readonly<Config>, options: ParleyOptions = {}): Promise<Parley> {
  const log = options.log ?? createLogger(config.logLevel);
  // Tracing (src/tracing): with it off nothing below is wrapped or hooked.
  const tracingOwner = {};
  startTracing(config.tracing, config.instanceId, tracingOwner);
  const untracedDb = options.db ?? (await openDatabase(config));
  const db = activeTracer() ? traceDatabase(untracedDb) : untracedDb;
  const redis: RedisConnections | null =
    config.redisUrl && !(options.bus && options.presence && options.calls)
      ? openRedis(config.redisUrl, (err) => log.warn({ err: err.message }, 'redis connection error'))
      : null;
  const bus =
    options.bus ??
    (redis ? new RedisBus(redis.command, redis.subscriber, config.instanceId, config.redisPrefix) : new MemoryBus());
  const presenceStore =
    options.presence ??
    (redis ? new RedisPresence(redis.command, config.redisPrefix, config.presenceTtl * 1000) : new MemoryPresence(config.presenceTtl * 1000));
  const fanOut = new FanOutPolicy(config.largeRoomThreshold, (userId, threshold) => largeRoomsOf(db, userId, threshold));
  const notifier = new Notifier(bus, log, fanOut);
  const callStore = options.calls ?? (redis ? new RedisCallStore(redis.command, config.redisPrefix) : new MemoryCallStore());
  const limiter: RateLimiter = redis ? new RedisRateLimiter(redis.command, config.redisPrefix) : new MemoryRateLimiter();
  const redisMemory = redis ? new RedisMemoryProbe(redis.command) : null;
  redisMemory?.start();
  const audit = new Audit(log);

  const sanctions = new Sanctions(db);
  await sanctions.start();

  const revoked = new RevokedSessions(db, bus, log, config.jwt.accessTtl);
  await revoked.start();
  const tokens = new AccessTokens(
    db,
    { issuer: config.jwt.issuer, audience: config.jwt.audience, ttlSeconds: config.jwt.accessTtl },
    revoked,
  );
  await tokens.init();
  const auth = new AuthService(db, tokens, {
    refreshTtlSeconds: config.jwt.refreshTtl,
    refreshReuseGrace: config.jwt.refreshReuseGrace,
    limiter,
    limits: config.limits,
    audit,
    notifier,
    revoked,
    isBanned: (userId) => sanctions.isBanned(userId),
  });
  // Observed into `metrics`, which is set below before any request or job runs.
  const attachments = createAttachments({
    config,
    db,
    notifier,
    audit,
    limiter,
    log,
    store: options.blobs,
    observer: {
      creation: (result) => metrics.uploads.inc({ result }),
      received: (bytes) => metrics.uploadBytes.inc(bytes),
      processed: (status, seconds) => {
        metrics.attachmentsProcessed.inc({ status });
        if (seconds !== null) metrics.attachmentProcessingSeconds.observe(Math.max(0, seconds));
      },
    },
  });
  // Counted where messages are stored, so REST and WebSocket sends alike (called only once `metrics` below is set).
  const messaging = new MessagingService(
    db,
    notifier,
    { ...config, attachments: attachments.service, onBatch: (waits, seconds) => metrics.messageBatch(waits, seconds) },
    (userId) => sanctions.check(userId),
    (count) => metrics.messagesSent.inc(count),
  );
  // Edits, deletes, reactions. A deleted message's attachments are removed when the change commits.
  const changes = new MessageChanges(db, notifier);
  changes.onChanged(({ messageId, change }) => {
    if (change !== 'deleted') return;
    attachments.service.removeForMessage(messageId).catch((err: unknown) => log.warn({ err, message_id: messageId }, 'could not remove a deleted message\'s attachments'));
  });
  // Moderation hides and restores with change entries of the log; an operator's decision keeping a message removed removes its files.
  const moderation = new ModerationService(
    db,
    new LogEntryModerator(changes, (messageId) => attachments.service.removeForMessage(messageId)),
    sanctions,
    audit,
  );
  // Thread pages and read state, pins (#15).
  const threads = new Threads(db, notifier);
  const calls = new CallService(db, callStore, notifier, log, {
    limiter,
    invitesLimit: config.limits.invites,
    sendBufferBytes: config.ws.maxBufferedBytes,
  });
  const hub = new Hub(
    bus,
    log,
    fanOut,
    // Called only once sockets exist, after `metrics` below is set.
    (seconds) => metrics.deliverySeconds.observe(seconds),
  );
  const presence = new PresenceService(presenceStore, db, notifier, config.instanceId, log);
  const conversations = new ConversationsService(db, notifier, presence);
  const bots = new BotService(db, { tokens, revoked, notifier, audit });
  const webhooks = new WebhookService(db, { conversations, messaging, limiter, limits: config.limits, audit });
  // Outgoing event deliveries: every instance sends from the shared queue; the consumer below fills it.
  const deliveries = new DeliveryWorker(new DeliveryQueue(db), log.child({ component: 'event-deliveries' }), config.integrations, config.instanceId);
  const eventEndpoints = new EventEndpoints(db, { audit, allowPrivateUrls: config.integrations.allowPrivateUrls });
  const { events } = config;
  const kafka = events.kafkaBrokers.length > 0 ? { brokers: events.kafkaBrokers, clientId: events.kafkaClientId, topicPrefix: events.kafkaTopicPrefix } : null;
  const consumers = new ConsumerHost(
    db,
    config.moderation.consumersInProcess ? buildConsumers(moderation, options.classifier, () => deliveries.kick()) : [],
    log.child({ component: 'consumers' }),
    { kafka, dedupeRetentionSeconds: config.moderation.dedupeRetention },
  );
  // Without Kafka the in-process consumers are the relay's sink (the embedded tier).
  const sink = kafka ? new KafkaSink(kafka) : consumers.sink;
  const relay = new OutboxRelay(db, sink, log.child({ component: 'outbox-relay' }), {
    instanceId: config.instanceId,
    batch: events.relayBatch,
    retentionSeconds: events.retention,
    leaseTtlSeconds: events.leaseTtl,
  });
  const metrics = new Metrics({
    connections: () => hub.connectionCount,
    channels: () => hub.channelCount,
    unauthenticated: () => gateway.unauthenticatedCount,
    databaseReachable: () => db.query('SELECT 1').then(() => true, () => false),
    databasePool: db.poolStats ? () => db.poolStats!() : undefined,
    bus: bus instanceof RedisBus ? bus.stats : undefined,
    outbox: sink ? { relay: relay.stats, backlog: () => outboxBacklog(db) } : undefined,
    redisMemory: redisMemory ? () => redisMemory.latest : undefined,
    attachmentsBacklog: () => attachments.service.repo.backlog(),
  });
  // Every rate-limit trip is audited, so the audit trail is where they are counted.
  audit.onEvent((event, fields) => {
    if (event === 'rate_limited') metrics.rateLimited.inc({ scope: String(fields.scope ?? 'unknown') });
  });
  const gateway = new WsGateway({ config, tokens, auth, revoked, messaging, changes, threads, presence, calls, hub, limiter, metrics, audit, log });
  presence.start(
    function* () {
      for (const c of hub.connections()) yield { userId: c.userId, connectionId: c.id };
    },
    (config.presenceTtl * 1000) / 3,
  );

  const operators = new Operators(db, config.moderation.adminUsers);

  let shuttingDown = false;
  const http = await buildHttp({ config, log, audit, metrics });
  if (activeTracer()) traceHttp(http);
  const routes = collectRoutes(http);
  registerApiDocsRoutes(http, routes);
  registerHealthRoutes(http, { db, isShuttingDown: () => shuttingDown });
  await http.register(async (scope) => {
    markAccess(scope, 'public');
    scope.addHook('onRequest', limitPublic(limiter, config.limits, audit));
    registerAuthRoutes(scope, auth);
    registerBotLoginRoute(scope, bots);
  });
  await http.register(async (scope) => {
    markAccess(scope, 'public');
    scope.addHook('onRequest', limitWebhookAddress(limiter, config.limits, audit));
    registerWebhookPostRoute(scope, webhooks);
  });
  await http.register(async (scope) => {
    markAccess(scope, 'user');
    scope.addHook('onRequest', requireUser(tokens, limiter, config.limits, audit));
    // A bot token's scope (which conversations, read / send) narrows every route below.
    scope.addHook('preHandler', guardBotScope);
    scope.addHook('preSerialization', filterBotConversations);
    registerAuthenticatedAuthRoutes(scope, auth);
    registerUserRoutes(scope, new UsersRepo(db), (userId) => operators.isOperator(userId));
    registerReportRoutes(scope, moderation);
    registerConversationRoutes(scope, conversations);
    registerMessagingRoutes(scope, messaging);
    registerMessageChangeRoutes(scope, changes);
    registerThreadRoutes(scope, threads, changes);
    registerCallRoutes(scope, config.turn);
    registerBotRoutes(scope, bots);
    registerWebhookRoutes(scope, webhooks);
    await attachments.register(scope);
    registerSearchRoutes(scope, new SearchService(db, { scanLimit: config.searchScanLimit }));
  });
  await http.register(async (scope) => {
    markAccess(scope, 'user');
    scope.addHook('onRequest', requireUser(tokens, limiter, config.limits, audit));
    scope.addHook('onRequest', operators.guard(audit));
    // A bot whose username is in ADMIN_USERS is still a bot: its tokens reach no operator route.
    scope.addHook('preHandler', guardBotScope);
    registerOperatorRoutes(scope, { moderation, sanctions, sql: db });
    registerEventEndpointRoutes(scope, eventEndpoints);
    registerOperatorBotRoutes(scope, bots);
  });
  if (config.webRoot && existsSync(config.webRoot)) await registerWebClient(http, config.webRoot);
  await http.ready();
  gateway.attach(http.server);
  relay.start();
  attachments.worker.start();
  deliveries.start();
  await consumers.start();

  const metricsServer = config.metrics.port === null ? null : new MetricsServer(metrics, log);
  let metricsUrl: string | null = null;

  return {
    http,
    db,
    hub,
    bus,
    metrics,
    log,
    relay,
    attachments,
    consumers,
    routes,
    get metricsUrl() {
      return metricsUrl;
    },
    async listen() {
      if (metricsServer) metricsUrl = await metricsServer.listen(config.metrics.port!, config.metrics.host);
      // A deep accept queue: a reconnect storm arrives all at once.
      await http.listen({ port: config.port, host: config.host, backlog: 8192 });
      const { port } = http.server.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      return `${config.security.tlsCertFile ? 'https' : 'http'}://${host}:${port}`;
    },
    async close() {
      shuttingDown = true;
      await gateway.close();
      calls.close();
      await http.close();
      // After the last send committed: what this instance leaves unrelayed, the next holder relays.
      await relay.stop();
      await attachments.close();
      await consumers.stop();
      await deliveries.stop();
      sanctions.close();
      await metricsServer?.close();
      await revoked.close();
      if (!options.bus) await bus.close();
      if (!options.presence) await presenceStore.close();
      redisMemory?.stop();
      await redis?.close();
      if (!options.db) await db.close();
      await stopTracing(tracingOwner);
    },
  };
}
