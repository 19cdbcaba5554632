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

/**
 * The database could not be reached or dropped the connection: refused,
 * reset, shutting down or starting up. Nothing about the statement is wrong,
 * and the same statement may succeed once the database is back; `reason` is
 * the SQLSTATE or the socket error code, never the driver's message (which
 * names the host).
 */
export class DatabaseUnavailable extends Error {
  readonly reason: string;

  constructor(reason: string) {
    super(`database unavailable (${reason})`);
    this.name = 'DatabaseUnavailable';
    this.reason = reason;
  }
}

// Socket errors of a connection that could not be made or was lost.
const UNREACHABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATEs of a server that is going away or not yet there: class 08
// (connection exception), admin / crash shutdown, starting up, out of connections.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;
// What pg says, without a code, when it loses a connection or cannot get one.
const LOST_CONNECTION = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

/** The DatabaseUnavailable an error means, or null when it is not about reaching the database. */
function unavailability(e: { code?: unknown; severity?: unknown; message?: unknown }): DatabaseUnavailable | null {
  if (typeof e.code === 'string') {
    if (UNREACHABLE_ERRNOS.has(e.code)) return new DatabaseUnavailable(e.code);
    if (typeof e.severity === 'string' && UNAVAILABLE_SQLSTATE.test(e.code)) return new DatabaseUnavailable(e.code);
  }
  // A pool connect() to a refused port rejects with an AggregateError of one per address.
  if (e instanceof AggregateError) {
    for (const inner of e.errors) {
      const found = inner && typeof inner === 'object' ? unavailability(inner as object) : null;
      if (found) return found;
    }
  }
  if (typeof e.message === 'string' && LOST_CONNECTION.test(e.message)) return new DatabaseUnavailable('connection lost');
  return null;
}

const name = (value: unknown): string | undefined => (typeof value === 'string' && /^[\w.]{1,128}$/.test(value) ? value : undefined);

/**
 * A driver error (it has a SQLSTATE and a severity) as a DatabaseError, a lost
 * or refused connection as DatabaseUnavailable; anything else unchanged.
 */
export function sanitizeDatabaseError(err: unknown): unknown {
  if (err instanceof DatabaseError || err instanceof DatabaseUnavailable || !err || typeof err !== 'object') return err;
  const e = err as { code?: unknown; severity?: unknown; constraint?: unknown; table?: unknown; column?: unknown; message?: unknown };
  const unavailable = unavailability(e);
  if (unavailable) return unavailable;
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
