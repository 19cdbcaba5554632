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
