import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { openPostgres } from './postgres-database.ts';

const URL = process.env.TEST_DATABASE_URL ?? '';
const maybe = URL ? describe : describe.skip;

maybe(URL ? 'openPostgres' : 'openPostgres (skipped: needs TEST_DATABASE_URL)', () => {
  it('a transaction whose connection the server terminates between two statements fails; the process does not crash', async () => {
    const db = openPostgres(URL, 2);
    const admin = new pg.Client({ connectionString: URL });
    await admin.connect();
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = db.transaction(async (tx) => {
        const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // Between statements, as when a transaction waits on something else: the server ends the connection.
        await admin.query('SELECT pg_terminate_backend($1)', [row!.pid]);
        await new Promise((r) => setTimeout(r, 200));
        await tx.query('SELECT 1');
      });
      await expect(outcome).rejects.toThrow();
      expect(uncaught).toEqual([]);
      // The pool goes on with a fresh connection.
      expect(await db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await admin.end();
      await db.close();
    }
  });
});
