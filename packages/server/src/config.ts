import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

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
  };
  ws: {
    /** Seconds between server pings; a socket that misses one is closed. */
    heartbeatInterval: number;
    /** Bytes queued to a socket beyond which it is closed with 4000. */
    maxBufferedBytes: number;
    /** Entries replayed per conversation per `sync` page, at most. */
    syncPageSize: number;
  };
  logLevel: string;
  /** Directory of the built web client, served at `/` when present. */
  webRoot: string | null;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
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
    },
    ws: {
      heartbeatInterval: int(env, 'WS_HEARTBEAT_INTERVAL', 30, 1, 3600),
      maxBufferedBytes: int(env, 'WS_MAX_BUFFERED_BYTES', 4 * 1024 * 1024, 64 * 1024, 1 << 30),
      syncPageSize: int(env, 'WS_SYNC_PAGE_SIZE', 100, 1, 500),
    },
    logLevel: str(env, 'LOG_LEVEL') ?? 'info',
    webRoot: str(env, 'WEB_ROOT'),
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const v of Object.values(value)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(value);
}
