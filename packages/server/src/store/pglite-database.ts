import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Database, Sql, SqlParam } from './database.ts';
import { sanitized } from './database-error.ts';

/**
 * Embedded PostgreSQL (PGlite, compiled to WASM) in a data directory. It runs
 * one statement at a time, so concurrent transactions queue rather than lock.
 * `dataDir: null` keeps everything in memory (tests). pg_trgm is loaded for the
 * user search's trigram indexes (migration 006), as PostgreSQL has it in contrib.
 */
export async function openPglite(dataDir: string | null): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir ?? undefined, { extensions: { pg_trgm } });
  const wrap = (q: Pick<PGlite, 'query'>): Sql => ({
    async query<Row>(text: string, params?: readonly SqlParam[]) {
      // PGlite's errors carry the statement and its parameters: never let one out.
      const result = await sanitized(() => q.query<Row>(text, params as unknown[] | undefined));
      return result.rows;
    },
  });
  const root = wrap(db);
  return {
    kind: 'pglite',
    query: root.query,
    transaction: (fn) => sanitized(() => db.transaction((tx) => fn(wrap(tx)))),
    exec: async (script) => {
      await sanitized(() => db.exec(script));
    },
    close: () => db.close(),
  };
}
