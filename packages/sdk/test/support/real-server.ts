import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { WebSocket } from 'ws';
import { ParleyClient, type ParleyClientOptions } from '../../src/client.ts';
import { loadConfig } from '../../../server/src/config.ts';
import { createLogger } from '../../../server/src/logger.ts';
import { createParley, type Parley } from '../../../server/src/parley.ts';
import { migrate } from '../../../server/src/store/migrate.ts';
import { openPglite } from '../../../server/src/store/pglite-database.ts';
import type { Database } from '../../../server/src/store/database.ts';

export interface RealServer {
  parley: Parley;
  db: Database;
  url: string;
  close(): Promise<void>;
}

// Rate limits out of the way: these tests register several users from one address and send in bursts.
const GENEROUS_LIMITS = Object.fromEntries(
  ['MESSAGES', 'TYPING', 'PRESENCE', 'FRAMES', 'REST', 'PUBLIC', 'LOGIN_ACCOUNT', 'LOGIN_IP'].map((n) => [`RATE_LIMIT_${n}`, '100000:100000']),
);

/**
 * The real server, in process, as the server's own test harness starts it:
 * PGlite in memory, migrated, on 127.0.0.1 port 0, logging nowhere.
 */
export async function startRealServer(env: Record<string, string> = {}): Promise<RealServer> {
  const db = await openPglite(null);
  await migrate(db);
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...GENEROUS_LIMITS, ...env });
  const parley = await createParley(config, { db, log: createLogger('silent') });
  const url = await parley.listen();
  return {
    parley,
    db,
    url,
    async close() {
      await parley.close();
      await db.close();
    },
  };
}

/** What {@link useRealServer} gives a test file. */
export interface RealServerFixture {
  /** The running server (set before the file's first test). */
  readonly server: RealServer;
  /** A scratch folder for the file's stores and files, removed after its last test. */
  readonly dir: string;
  /** A new client of the server (fast reconnects), closed after the test. */
  client(options?: Partial<ParleyClientOptions>): ParleyClient;
  /** A username no other test of the run has: `name` and a unique suffix. */
  username(name: string): string;
  /** A new client with a freshly registered account (see {@link username}); connected too when `connect`. */
  registered(name: string, options?: Partial<ParleyClientOptions> & { connect?: boolean }): Promise<ParleyClient>;
}

let unique = 0;

/**
 * A test file's real server and clients: starts the server before the file's
 * first test (with `env`, or `env(dir)` when it needs the scratch folder),
 * closes every client made through the fixture after each test, and the
 * server and folder after the last one.
 */
export function useRealServer(env: Record<string, string> | ((dir: string) => Record<string, string>) = {}): RealServerFixture {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sdk-'));
  const clients: ParleyClient[] = [];
  let server: RealServer | undefined;
  beforeAll(async () => {
    server = await startRealServer(typeof env === 'function' ? env(dir) : env);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const fixture: RealServerFixture = {
    get server() {
      if (!server) throw new Error('the real server starts in beforeAll: use it inside a test');
      return server;
    },
    dir,
    client(options = {}) {
      const client = new ParleyClient({ url: fixture.server.url, WebSocket, reconnect: { baseMs: 50, capMs: 500 }, ...options });
      clients.push(client);
      return client;
    },
    username: (name) => `${name}${Date.now().toString(36)}${(unique++).toString(36)}`,
    async registered(name, { connect = false, ...options } = {}) {
      const client = fixture.client(options);
      await client.register({ username: fixture.username(name), password: 'correct horse battery' });
      if (connect) {
        client.connect();
        await client.connected();
      }
      return client;
    },
  };
  return fixture;
}
