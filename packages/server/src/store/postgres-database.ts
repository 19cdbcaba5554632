import pg from 'pg';
import type { Database, QueryOptions, SqlParam } from './database.ts';
import { sanitized, sanitizeDatabaseError } from './database-error.ts';

/**
 * PostgreSQL through a `pg` connection pool. A connection that is not
 * established within `connectTimeoutMs` (a host that takes the TCP connection
 * and never answers; also a pool so busy that no connection frees up) fails
 * the statement as unavailable instead of waiting for the kernel to give up.
 */
export function openPostgres(connectionString: string, poolSize: number, connectTimeoutMs = 5000): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize, connectionTimeoutMillis: connectTimeoutMs });
  // An idle client losing its connection must not crash the process; the pool
  // replaces it on the next checkout.
  pool.on('error', () => {});
  return {
    kind: 'postgres',
    async query<Row>(text: string, params?: readonly SqlParam[], options?: QueryOptions) {
      const values = params as unknown[] | undefined;
      const result = await sanitized(() => (options?.name ? pool.query({ name: options.name, text, values }) : pool.query(text, values)));
      return result.rows as Row[];
    },
    async transaction(fn) {
      const client = await sanitized(() => pool.connect());
      // While checked out the pool does not listen on the client: a server-side
      // termination between two statements (a restart, an outage) would be an
      // uncaught 'error' event and end the process. The next statement fails
      // with it instead, and the rollback below destroys the connection.
      const swallow = () => {};
      client.on('error', swallow);
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
        client.off('error', swallow);
        client.release(broken);
        throw sanitizeDatabaseError(err);
      }
      client.off('error', swallow);
      client.release();
      return result;
    },
    async exec(script) {
      await sanitized(() => pool.query(script));
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}
