import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tracingConfig, type TracingConfig } from './tracing/tracing-config.ts';

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
  /**
   * Batches of different conversations one lane may write at once (PostgreSQL; PGlite: 1). More cuts a
   * send's wait for another conversation's commit, but makes batches smaller: on a database short of
   * CPU, 3 took twice the database CPU per message of 1 at 1,000 msgs/s (bench/README.md, #17).
   */
  writeBatchesPerLane: number;
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
     * Seconds an outbox row is kept: after it was relayed (to Kafka, or to the
     * in-process consumers without Kafka); after it was written when nothing reads the outbox.
     */
    retention: number;
    /** Seconds the relay lease lasts unless renewed: how soon another instance takes over from a dead relay. */
    leaseTtl: number;
  };
  /** Attachments (issue #14): storage, limits, processing and the malware scan. */
  attachments: AttachmentsConfig;
  /** Moderation and the event consumers (issue #13). */
  moderation: {
    /** Usernames (lower-case) that are server operators, besides the first registered account. */
    adminUsers: string[];
    /** Run the event consumers (moderation, analytics, the search index) in this process; `off` when another process runs `npm run consumers`. */
    consumersInProcess: boolean;
    /** Seconds a consumer remembers a handled event_id (its duplicate window). */
    dedupeRetention: number;
  };
  /** Outgoing event deliveries to operators' endpoints (issue #19, `integrations/`). */
  integrations: IntegrationsConfig;
  /**
   * Message search reads every entry of the searched conversations when they
   * hold at most this many, else asks the bigram index first (search/search-repo.ts).
   */
  searchScanLimit: number;
  logLevel: string;
  /** OpenTelemetry tracing, from the standard OTEL_* variables (off unless OTEL_TRACES_EXPORTER is set). */
  tracing: TracingConfig;
  /** Directory of the built web client, served at `/` when present. */
  webRoot: string | null;
}

export interface IntegrationsConfig {
  /**
   * Accept endpoint URLs that are plain http or name loopback, private or
   * link-local addresses (`INTEGRATION_ALLOW_PRIVATE_URLS=on`): for tests and
   * development only. Off, such URLs are refused at registration and such
   * addresses at delivery (after DNS, so a name cannot be re-pointed inside).
   */
  allowPrivateUrls: boolean;
  /** Attempts per delivery before it is marked failed. */
  maxAttempts: number;
  /** First retry delay, ms; each next one doubles, with jitter, up to `retryMaxSeconds`. */
  retryBaseMs: number;
  retryMaxSeconds: number;
  /** Whole-attempt timeout (connect, TLS, answer headers), ms. */
  timeoutMs: number;
  /** Deliveries in flight at once per instance; 0: this instance sends none (others do). */
  concurrency: number;
  /** How often an idle instance looks for due deliveries, ms (a local enqueue wakes it at once). */
  pollMs: number;
  /** Seconds delivered and failed deliveries stay in the log. */
  logRetention: number;
}

export interface AttachmentsConfig {
  /** `fs`: files under `dir` (embedded tier); `s3`: an S3-compatible bucket every instance shares. */
  storage: 'fs' | 's3';
  /** Where the `fs` storage keeps files (default `DATA_DIR/attachments`). */
  dir: string;
  s3: {
    endpoint: string | null;
    region: string;
    bucket: string;
    forcePathStyle: boolean;
    /** Static credentials; null uses the AWS SDK's default chain (environment, instance role). */
    credentials: { accessKeyId: string; secretAccessKey: string } | null;
    prefix: string;
  } | null;
  /** Largest file, bytes (413 `payload_too_large` before any byte is stored). */
  maxBytes: number;
  /** Bytes one user may have stored, uploads in progress included (413 `quota_exceeded`). */
  quotaBytes: number;
  /** Types (found in the bytes) that are accepted; anything else is `blocked` (`type_not_allowed`). */
  types: string[];
  /** Types served inline; everything else is served as a download. */
  inlineTypes: string[];
  /** `clamav` scans every file with clamd; `off` serves files unscanned and says so (`scan: "off"`). */
  scan: 'clamav' | 'off';
  clamd: { host: string; port: number } | { socket: string } | null;
  /** Seconds clamd may take to answer one file before the scan counts as unavailable (retried). */
  clamdTimeout: number;
  /** Seconds an upload may stay unreferenced by any message before it is deleted. */
  unreferencedTtl: number;
  /** Seconds a processing job stays claimed without renewal: how soon another instance takes over from a dead one. */
  leaseTtl: number;
  /** Longest wait between retries of a file while clamd is unreachable, seconds. */
  retryMax: number;
  /** Files processed at once per instance. */
  workers: number;
  /** Seconds between an idle instance's looks for jobs it was not woken for (a dead instance's, after its lease). */
  pollInterval: number;
}

/** What the allowlist accepts unless ATTACHMENT_TYPES says otherwise: common documents, images and media. `application/octet-stream` is whatever has no recognisable signature (plain text, CSV, …). */
export const DEFAULT_ATTACHMENT_TYPES = [
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/heic',
  'application/pdf', 'application/zip', 'application/gzip', 'application/x-7z-compressed',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.spreadsheet',
  'audio/mpeg', 'audio/ogg', 'audio/wav', 'audio/mp4', 'audio/webm', 'audio/flac', 'audio/aac',
  'video/mp4', 'video/webm', 'video/quicktime', 'video/ogg',
  'application/octet-stream',
];
export const DEFAULT_INLINE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

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
  /** uploads started (tus creations), per user. */
  uploads: { rate: 0.5, burst: 20 },
  /** authenticated REST requests, per user. */
  rest: { rate: 20, burst: 60 },
  /** unauthenticated REST requests (register, login, refresh), per client address. */
  public: { rate: 2, burst: 20 },
  /** message reports, per user. */
  reports: { rate: 0.2, burst: 10 },
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
    writeBatchesPerLane: int(env, 'DATABASE_WRITE_BATCHES_PER_LANE', 1, 1, 16),
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
    attachments: loadAttachments(env, resolve(str(env, 'DATA_DIR') ?? './data')),
    moderation: {
      adminUsers: (str(env, 'ADMIN_USERS') ?? '').split(',').map((u) => u.trim().toLowerCase()).filter(Boolean),
      consumersInProcess: onOff(env, 'CONSUMERS_IN_PROCESS', true),
      dedupeRetention: int(env, 'CONSUMER_DEDUPE_RETENTION', 7 * 86_400, 3_600, 90 * 86_400),
    },
    integrations: {
      allowPrivateUrls: onOff(env, 'INTEGRATION_ALLOW_PRIVATE_URLS', false),
      maxAttempts: int(env, 'INTEGRATION_MAX_ATTEMPTS', 10, 1, 100),
      retryBaseMs: int(env, 'INTEGRATION_RETRY_BASE_MS', 30_000, 1, 3_600_000),
      retryMaxSeconds: int(env, 'INTEGRATION_RETRY_MAX', 6 * 3_600, 1, 7 * 86_400),
      timeoutMs: int(env, 'INTEGRATION_TIMEOUT_MS', 10_000, 100, 120_000),
      concurrency: int(env, 'INTEGRATION_CONCURRENCY', 4, 0, 64),
      pollMs: int(env, 'INTEGRATION_POLL_MS', 1_000, 10, 60_000),
      logRetention: int(env, 'INTEGRATION_LOG_RETENTION', 7 * 86_400, 3_600, 90 * 86_400),
    },
    searchScanLimit: int(env, 'SEARCH_SCAN_LIMIT', 100_000, 0, 1_000_000_000),
    logLevel: str(env, 'LOG_LEVEL') ?? 'info',
    tracing: tracingConfig(env, (message) => {
      throw new ConfigError(message);
    }),
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
  if (config.integrations.retryBaseMs > config.integrations.retryMaxSeconds * 1000) {
    throw new ConfigError('INTEGRATION_RETRY_BASE_MS must not exceed INTEGRATION_RETRY_MAX (seconds)');
  }
  if (Boolean(config.security.tlsCertFile) !== Boolean(config.security.tlsKeyFile)) {
    throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  return deepFreeze(config);
}

function list(env: Env, name: string, fallback: string[]): string[] {
  const raw = str(env, name);
  if (raw === null) return fallback;
  const items = raw.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  for (const item of items) if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(item)) throw new ConfigError(`${name} must list MIME types (type/subtype), got "${item}"`);
  return items;
}

function loadAttachments(env: Env, dataDir: string): AttachmentsConfig {
  const bucket = str(env, 'S3_BUCKET');
  const storage = (str(env, 'ATTACHMENT_STORAGE') ?? (bucket ? 's3' : 'fs')) as AttachmentsConfig['storage'];
  if (storage !== 'fs' && storage !== 's3') throw new ConfigError(`ATTACHMENT_STORAGE must be "fs" or "s3", got "${storage}"`);
  if (storage === 's3' && !bucket) throw new ConfigError('ATTACHMENT_STORAGE=s3 needs S3_BUCKET');
  const accessKeyId = str(env, 'S3_ACCESS_KEY_ID');
  const secretAccessKey = str(env, 'S3_SECRET_ACCESS_KEY');
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) throw new ConfigError('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
  const socket = str(env, 'CLAMD_SOCKET');
  const host = str(env, 'CLAMD_HOST');
  if (socket && host) throw new ConfigError('set CLAMD_HOST (TCP) or CLAMD_SOCKET (unix socket), not both');
  const clamd = socket ? { socket } : host ? { host, port: int(env, 'CLAMD_PORT', 3310, 1, 65535) } : null;
  const scan = (str(env, 'ATTACHMENT_SCAN') ?? (clamd ? 'clamav' : 'off')) as AttachmentsConfig['scan'];
  if (scan !== 'clamav' && scan !== 'off') throw new ConfigError(`ATTACHMENT_SCAN must be "clamav" or "off", got "${scan}"`);
  if (scan === 'clamav' && !clamd) throw new ConfigError('ATTACHMENT_SCAN=clamav needs CLAMD_HOST or CLAMD_SOCKET');
  return {
    storage,
    dir: resolve(str(env, 'ATTACHMENT_DIR') ?? join(dataDir, 'attachments')),
    s3:
      storage === 's3'
        ? {
            endpoint: str(env, 'S3_ENDPOINT'),
            region: str(env, 'S3_REGION') ?? 'us-east-1',
            bucket: bucket!,
            forcePathStyle: onOff(env, 'S3_FORCE_PATH_STYLE', true),
            credentials: accessKeyId ? { accessKeyId, secretAccessKey: secretAccessKey! } : null,
            prefix: str(env, 'S3_PREFIX') ?? '',
          }
        : null,
    maxBytes: int(env, 'ATTACHMENT_MAX_BYTES', 100 * 1024 * 1024, 1, 2 ** 42),
    quotaBytes: int(env, 'ATTACHMENT_QUOTA_BYTES', 1024 * 1024 * 1024, 1, 2 ** 50),
    types: list(env, 'ATTACHMENT_TYPES', DEFAULT_ATTACHMENT_TYPES),
    inlineTypes: list(env, 'ATTACHMENT_INLINE_TYPES', DEFAULT_INLINE_TYPES),
    scan,
    clamd,
    clamdTimeout: int(env, 'CLAMD_TIMEOUT', 60, 1, 3600),
    unreferencedTtl: int(env, 'ATTACHMENT_UNREFERENCED_TTL', 86_400, 1, 365 * 86_400),
    leaseTtl: int(env, 'ATTACHMENT_LEASE_TTL', 60, 1, 3600),
    retryMax: int(env, 'ATTACHMENT_RETRY_MAX', 60, 1, 3600),
    workers: int(env, 'ATTACHMENT_WORKERS', 2, 1, 64),
    pollInterval: int(env, 'ATTACHMENT_POLL_INTERVAL', 30, 1, 3600),
  };
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
