import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every setting Parley reads, from the environment, once. Nothing else in the
 * server reads `process.env`: modules receive the frozen `Config`.
 */
export interface Config {
  port: number;
  host: string;
  /** Embedded PGlite data directory, used when `databaseUrl` is not set. */
  dataDir: string;
  /** PostgreSQL connection string; when set, PGlite is not used. */
  databaseUrl: string | null;
  databasePoolSize: number;
  /**
   * Seconds to wait for a PostgreSQL connection (a new one, or a free one from
   * the pool) before the statement fails as `unavailable`.
   */
  databaseConnectTimeout: number;
  /** Batches of sends written at once on PostgreSQL, each on its own connection (PGlite: always 1). */
  writeLanes: number;
  /** Redis for fan-out and presence across instances; null selects the in-process bus and presence. */
  redisUrl: string | null;
  /** Prefix of every Redis key and channel, so several deployments (or test runs) can share a server. */
  redisPrefix: string;
  /** This instance's name in the presence registry; random unless set (e.g. the pod name). */
  instanceId: string;
  /** Conversations with at least this many members fan out on one room channel instead of per-user channels. */
  largeRoomThreshold: number;
  /** Seconds a device stays online without a heartbeat: a dead instance's users go offline within this plus a third. */
  presenceTtl: number;
  /** Allowed `Origin` values for browser handshakes; empty allows any. */
  publicOrigins: string[];
  jwt: {
    issuer: string;
    audience: string;
    /** Access token lifetime, seconds. */
    accessTtl: number;
    /** Refresh token lifetime, seconds. */
    refreshTtl: number;
    /**
     * Seconds a rotated refresh token may be presented again without revoking
     * its session (two tabs refreshing at once); past this it counts as stolen.
     */
    refreshReuseGrace: number;
  };
  ws: {
    /** Seconds between server pings; a socket that misses one is closed. */
    heartbeatInterval: number;
    /** Bytes queued to a socket beyond which it is closed with 4000. */
    maxBufferedBytes: number;
    /** Entries replayed per conversation per `sync` page, at most. */
    syncPageSize: number;
    /** Seconds a socket opened without credentials has to send its `auth` frame (then 4408). */
    authTimeout: number;
  };
  security: {
    /** TLS certificate and key (PEM files): when both are set the server speaks HTTPS/WSS itself. */
    tlsCertFile: string | null;
    tlsKeyFile: string | null;
    /**
     * Proxies in front of the server that set X-Forwarded-For (1 behind the
     * shipped nginx or an Ingress controller): the client address is the n-th
     * X-Forwarded-For address from the right; 0 uses the TCP peer.
     */
    trustProxyHops: number;
    /** Sockets one user may hold on one instance. */
    maxConnectionsPerUser: number;
    /** Sockets one address may have open without credentials, awaiting their `auth` frame. */
    maxUnauthenticatedPerIp: number;
  };
  turn: {
    /** STUN/TURN URIs handed to clients (e.g. `turn:turn.example.com:3478?transport=udp`). */
    uris: string[];
    /** coturn's `static-auth-secret` (use-auth-secret): TURN URIs get credentials only when set. */
    secret: string | null;
    /** Seconds TURN credentials stay valid. */
    ttl: number;
  };
  /** Rate limits, each `rate:burst` (requests per second : requests at once). */
  limits: Record<LimitName, Limit>;
  /**
   * Prometheus metrics listener, apart from the public port (which does not
   * serve /metrics): null (METRICS_PORT unset) serves no metrics at all.
   */
  metrics: { port: number | null; host: string };
  /** The event stream (issue #13): the transactional outbox and its relay to Kafka. */
  events: {
    /** Write `message.created` outbox events for sends. `OUTBOX=off` exists only to measure their cost: it loses those events. */
    outbox: boolean;
    /** Kafka bootstrap brokers (`host:port`); empty runs no relay (the embedded tier). */
    kafkaBrokers: string[];
    /** Prefix of the topic names: `<prefix>messages`, `<prefix>conversations`, `<prefix>users`, `<prefix>calls`. */
    kafkaTopicPrefix: string;
    kafkaClientId: string;
    /** Outbox rows relayed per Kafka request, at most. */
    relayBatch: number;
    /**
     * Seconds an outbox row is kept: after Kafka acknowledged it with a relay,
     * after it was written without one (nothing reads the outbox yet in the embedded tier).
     */
    retention: number;
    /** Seconds the relay lease lasts unless renewed: how soon another instance takes over from a dead relay. */
    leaseTtl: number;
  };
  /**
   * Message search reads every entry of the searched conversations when they
   * hold at most this many, else asks the bigram index first (search/search-repo.ts).
   */
  searchScanLimit: number;
  logLevel: string;
  /** Directory of the built web client, served at `/` when present. */
  webRoot: string | null;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

export interface Limit {
  /** Sustained requests per second. */
  rate: number;
  /** Requests allowed at once after a quiet period. */
  burst: number;
}

/** Every rate limit, with its default (per second : burst) and what it counts. */
export const LIMITS = {
  /** send_message frames and REST sends, per user. */
  messages: { rate: 10, burst: 30 },
  /** typing frames, per user. */
  typing: { rate: 3, burst: 10 },
  /** presence_subscribe frames, per user. */
  presence: { rate: 1, burst: 10 },
  /** call signaling frames (candidates come batched), per user. */
  calls: { rate: 10, burst: 60 },
  /** call invites, per invitee (whoever calls: each rings every device of the invitee). */
  invites: { rate: 0.2, burst: 10 },
  /** ICE server (TURN credential) requests, per user. */
  ice: { rate: 0.2, burst: 10 },
  /** cursors asked for in `sync` frames, per user (a sync costs one per cursor). */
  sync: { rate: 500, burst: 2000 },
  /** any frame, per socket (kept by the instance). */
  frames: { rate: 50, burst: 200 },
  /** authenticated REST requests, per user. */
  rest: { rate: 20, burst: 60 },
  /** unauthenticated REST requests (register, login, refresh), per client address. */
  public: { rate: 2, burst: 20 },
  /** login attempts, per account. */
  login_account: { rate: 0.1, burst: 5 },
  /** login attempts, per client address. */
  login_ip: { rate: 0.5, burst: 20 },
  /** message searches (`GET /search`), per user; each also counts as a REST request. */
  search: { rate: 1, burst: 10 },
} satisfies Record<string, Limit>;
export type LimitName = keyof typeof LIMITS;

function limit(env: Env, name: LimitName): Limit {
  const variable = `RATE_LIMIT_${name.toUpperCase()}`;
  const raw = env[variable];
  if (!raw) return LIMITS[name];
  const match = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+)\s*$/.exec(raw);
  const rate = Number(match?.[1]);
  const burst = Number(match?.[2]);
  if (!match || !(rate > 0) || !(burst >= 1)) {
    throw new ConfigError(`${variable} must be "<per second>:<burst>" (e.g. "10:30"), got "${raw}"`);
  }
  return { rate, burst };
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === null) return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be "on" or "off", got "${raw}"`);
}

function str(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  return raw ? raw : null;
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const config: Config = {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: str(env, 'HOST') ?? '0.0.0.0',
    dataDir: resolve(str(env, 'DATA_DIR') ?? './data'),
    databaseUrl: str(env, 'DATABASE_URL'),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    databaseConnectTimeout: int(env, 'DATABASE_CONNECT_TIMEOUT', 5, 1, 300),
    writeLanes: int(env, 'DATABASE_WRITE_LANES', 2, 1, 64),
    redisUrl: str(env, 'REDIS_URL'),
    redisPrefix: str(env, 'REDIS_PREFIX') ?? 'parley:',
    instanceId: str(env, 'INSTANCE_ID') ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    largeRoomThreshold: int(env, 'LARGE_ROOM_THRESHOLD', 100, 2, 1_000_000),
    presenceTtl: int(env, 'PRESENCE_TTL', 45, 3, 3600),
    publicOrigins: (str(env, 'PUBLIC_ORIGINS') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    jwt: {
      issuer: str(env, 'JWT_ISSUER') ?? 'parley',
      audience: str(env, 'JWT_AUDIENCE') ?? 'parley',
      accessTtl: int(env, 'JWT_ACCESS_TTL', 900, 5, 86_400),
      refreshTtl: int(env, 'JWT_REFRESH_TTL', 30 * 86_400, 60, 365 * 86_400),
      refreshReuseGrace: int(env, 'JWT_REFRESH_REUSE_GRACE', 10, 0, 300),
    },
    ws: {
      heartbeatInterval: int(env, 'WS_HEARTBEAT_INTERVAL', 30, 1, 3600),
      maxBufferedBytes: int(env, 'WS_MAX_BUFFERED_BYTES', 4 * 1024 * 1024, 64 * 1024, 1 << 30),
      syncPageSize: int(env, 'WS_SYNC_PAGE_SIZE', 100, 1, 500),
      authTimeout: int(env, 'WS_AUTH_TIMEOUT', 10, 1, 300),
    },
    security: {
      tlsCertFile: str(env, 'TLS_CERT_FILE'),
      tlsKeyFile: str(env, 'TLS_KEY_FILE'),
      trustProxyHops: int(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
      maxConnectionsPerUser: int(env, 'MAX_CONNECTIONS_PER_USER', 20, 1, 10_000),
      maxUnauthenticatedPerIp: int(env, 'MAX_UNAUTHENTICATED_PER_IP', 16, 1, 10_000),
    },
    turn: {
      uris: (str(env, 'TURN_URIS') ?? '').split(',').map((u) => u.trim()).filter(Boolean),
      secret: str(env, 'TURN_SECRET'),
      ttl: int(env, 'TURN_TTL', 3600, 60, 86_400),
    },
    limits: Object.fromEntries(Object.keys(LIMITS).map((n) => [n, limit(env, n as LimitName)])) as Record<LimitName, Limit>,
    metrics: {
      port: str(env, 'METRICS_PORT') === null ? null : int(env, 'METRICS_PORT', 0, 0, 65535),
      host: str(env, 'METRICS_HOST') ?? '127.0.0.1',
    },
    events: {
      outbox: onOff(env, 'OUTBOX', true),
      kafkaBrokers: (str(env, 'KAFKA_BROKERS') ?? '').split(',').map((b) => b.trim()).filter(Boolean),
      kafkaTopicPrefix: str(env, 'KAFKA_TOPIC_PREFIX') ?? 'parley.',
      kafkaClientId: str(env, 'KAFKA_CLIENT_ID') ?? 'parley',
      relayBatch: int(env, 'OUTBOX_RELAY_BATCH', 500, 1, 10_000),
      retention: int(env, 'OUTBOX_RETENTION', 86_400, 60, 90 * 86_400),
      leaseTtl: int(env, 'OUTBOX_LEASE_TTL', 10, 1, 600),
    },
    searchScanLimit: int(env, 'SEARCH_SCAN_LIMIT', 100_000, 0, 1_000_000_000),
    logLevel: str(env, 'LOG_LEVEL') ?? 'info',
    webRoot: str(env, 'WEB_ROOT') ?? builtWebClient(),
  };
  if (str(env, 'TRUST_PROXY') !== null) {
    throw new ConfigError(
      'TRUST_PROXY is no longer read: set TRUST_PROXY_HOPS to the number of proxies in front of Parley ' +
        '(1 behind the shipped nginx or a Kubernetes Ingress, 0 when clients connect directly) and remove TRUST_PROXY',
    );
  }
  for (const broker of config.events.kafkaBrokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) throw new ConfigError(`KAFKA_BROKERS must be comma-separated host:port, got "${broker}"`);
  }
  if (!/^[A-Za-z0-9._-]*$/.test(config.events.kafkaTopicPrefix)) {
    throw new ConfigError(`KAFKA_TOPIC_PREFIX may hold only letters, digits, ".", "_" and "-", got "${config.events.kafkaTopicPrefix}"`);
  }
  if (Boolean(config.security.tlsCertFile) !== Boolean(config.security.tlsKeyFile)) {
    throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  return deepFreeze(config);
}

/** The repository's web client as `npm run build:web` leaves it, when it has been built. */
function builtWebClient(): string | null {
  const dir = fileURLToPath(new URL('../../../apps/web/dist', import.meta.url));
  return existsSync(join(dir, 'index.html')) ? dir : null;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const v of Object.values(value)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(value);
}
