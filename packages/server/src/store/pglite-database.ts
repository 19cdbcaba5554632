import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Sql, SqlParam } from './database.ts';
import { sanitized } from './database-error.ts';

/**
 * Embedded PostgreSQL (PGlite, compiled to WASM) in a data directory. It runs
 * one statement at a time, so concurrent transactions queue rather than lock.
 * `dataDir: null` keeps everything in memory (tests).
 */
export async function openPglite(dataDir: string | null): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir ?? undefined);
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
