import pg from 'pg';
import type { Database, SqlParam } from './database.ts';

/** PostgreSQL through a `pg` connection pool. */
export function openPostgres(connectionString: string, poolSize: number): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // An idle client losing its connection must not crash the process; the pool
  // replaces it on the next checkout.
  pool.on('error', () => {});
  return {
    kind: 'postgres',
    async query<Row>(text: string, params?: readonly SqlParam[]) {
      const result = await pool.query(text, params as unknown[] | undefined);
      return result.rows as Row[];
    },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          async query<Row>(text: string, params?: readonly SqlParam[]) {
            const r = await client.query(text, params as unknown[] | undefined);
            return r.rows as Row[];
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async exec(script) {
      await pool.query(script);
    },
    close: () => pool.end(),
  };
}
