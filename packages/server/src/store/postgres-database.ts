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
      let result;
      try {
        await client.query('BEGIN');
        result = await fn({
          async query<Row>(text: string, params?: readonly SqlParam[]) {
            const r = await sanitized(() => client.query(text, params as unknown[] | undefined));
            return r.rows as Row[];
          },
        });
        await client.query('COMMIT');
      } catch (err) {
        // A connection that cannot even roll back is broken: destroy it rather than return it to the pool.
        const broken = await client.query('ROLLBACK').then(() => undefined, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        client.release(broken);
        throw sanitizeDatabaseError(err);
      }
      client.release();
      return result;
    },
    async exec(script) {
      await sanitized(() => pool.query(script));
    },
    close: () => pool.end(),
  };
}
