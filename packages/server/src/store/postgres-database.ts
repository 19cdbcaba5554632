import pg from 'pg';
import type { Database, SqlParam } from './database.ts';
import { sanitized, sanitizeDatabaseError } from './database-error.ts';

/** PostgreSQL through a `pg` connection pool. */
export function openPostgres(connectionString: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // An idle client losing its connection must not crash the process; the pool
  // replaces it on the next checkout.
  pool.on('error', () => {});
  return {
    kind: 'postgres',
    async query<Row>(text: string, params?: readonly SqlParam[]) {
      const result = await sanitized(() => pool.query(text, params as unknown[] | undefined));
      return result.rows as Row[];
    },
    async transaction(fn) {
      const client = await sanitized(() => pool.connect());
      try {
        await client.query('BEGIN');
        const result = await fn({
          async query<Row>(text: string, params?: readonly SqlParam[]) {
            const r = await sanitized(() => client.query(text, params as unknown[] | undefined));
            return r.rows as Row[];
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw sanitizeDatabaseError(err);
      } finally {
        client.release();
      }
    },
    async exec(script) {
      await sanitized(() => pool.query(script));
    },
    close: () => pool.end(),
  };
}
