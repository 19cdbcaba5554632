import pg from 'pg';
import { openPglite } from '../../src/store/pglite-database.ts';
import { openPostgres } from '../../src/store/postgres-database.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { Database } from '../../src/store/database.ts';

/**
 * Databases for tests. PGlite runs everywhere; PostgreSQL runs when
 * TEST_DATABASE_URL points at a server (CI sets it). Each PostgreSQL fixture is
 * a fresh database, dropped afterwards, so files never see each other's rows.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? '';

export interface TestDatabase {
  db: Database;
  /** Connection string, for PostgreSQL fixtures. */
  url: string | null;
  drop(): Promise<void>;
}

export async function pgliteDatabase(dataDir: string | null = null): Promise<TestDatabase> {
  const db = await openPglite(dataDir);
  await migrate(db);
  return { db, url: null, drop: () => db.close() };
}

export async function postgresDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `parley_test_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString(), 10);
  if (options.migrate !== false) await migrate(db);
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type DatabaseKind = 'pglite' | 'postgres';
export const makeDatabase = (kind: DatabaseKind): Promise<TestDatabase> =>
  kind === 'pglite' ? pgliteDatabase() : postgresDatabase();
