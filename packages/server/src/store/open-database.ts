import type { Config } from '../config.ts';
import type { Database } from './database.ts';
import { migrate } from './migrate.ts';
import { openPglite } from './pglite-database.ts';
import { openPostgres } from './postgres-database.ts';

/** Opens the configured database (PostgreSQL when `DATABASE_URL` is set, else PGlite) and migrates it. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'databaseConnectTimeout' | 'dataDir'>): Promise<Database> {
  const db = config.databaseUrl
    ? openPostgres(config.databaseUrl, config.databasePoolSize, config.databaseConnectTimeout * 1000)
    : await openPglite(config.dataDir);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}
