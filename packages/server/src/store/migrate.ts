import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

// Beside src/ and dist/ alike, so the sources and the compiled server read the same files.
const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
// Any fixed number: all instances take the same transaction-scoped advisory
// lock, so when several start at once on an empty database one migrates and
// the others wait, then find nothing left to do.
const MIGRATION_LOCK_KEY = 720_315_001;

/** Applies every migration not yet applied, in file-name order. Returns the names applied. */
export async function migrate(db: Database): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const scripts = await Promise.all(files.map((f) => readFile(MIGRATIONS_DIR + f, 'utf8')));
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name),
    );
    const applied: string[] = [];
    for (const [i, name] of files.entries()) {
      if (done.has(name)) continue;
      // Statements run one by one so both engines accept them inside the transaction.
      for (const statement of splitStatements(scripts[i]!)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
      applied.push(name);
    }
    return applied;
  });
}

/** Splits a migration script on `;` at line ends. Migrations keep to that shape (no function bodies). */
function splitStatements(script: string): string[] {
  return script
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}
