/**
 * What a failed statement may tell the rest of the server, and so its logs:
 * PostgreSQL's SQLSTATE `code` and the names of the constraint, table and
 * column. The drivers' errors carry more — PGlite attaches the statement text
 * and its parameters (message text, password hashes), and both engines quote
 * the offending value in `message`, `detail` and `where` — so the adapters
 * turn every driver error into this before it leaves them.
 */
export class DatabaseError extends Error {
  readonly code: string;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;

  constructor(fields: { code: string; constraint?: string; table?: string; column?: string }) {
    super(`database error ${fields.code}${fields.constraint ? ` on ${fields.constraint}` : ''}`);
    this.name = 'DatabaseError';
    this.code = fields.code;
    this.constraint = fields.constraint;
    this.table = fields.table;
    this.column = fields.column;
  }
}

const name = (value: unknown): string | undefined => (typeof value === 'string' && /^[\w.]{1,128}$/.test(value) ? value : undefined);

/** A driver error (it has a SQLSTATE and a severity) as a DatabaseError; anything else unchanged. */
export function sanitizeDatabaseError(err: unknown): unknown {
  if (err instanceof DatabaseError || !err || typeof err !== 'object') return err;
  const e = err as { code?: unknown; severity?: unknown; constraint?: unknown; table?: unknown; column?: unknown; message?: unknown };
  if (typeof e.code !== 'string' || !/^[0-9A-Z]{5}$/.test(e.code) || typeof e.severity !== 'string') return err;
  // pg reports `constraint`; PGlite may only name it in the message (`… constraint "x"`).
  const quoted = typeof e.message === 'string' ? /constraint "([\w.]+)"/.exec(e.message)?.[1] : undefined;
  return new DatabaseError({ code: e.code, constraint: name(e.constraint) ?? quoted, table: name(e.table), column: name(e.column) });
}

/** Runs one driver call, letting only a sanitized error out. */
export async function sanitized<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw sanitizeDatabaseError(err);
  }
}
