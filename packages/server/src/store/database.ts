/**
 * The SQL seam between Parley and its two storage engines: PGlite (embedded)
 * and PostgreSQL. Repositories write plain PostgreSQL with `$n` parameters and
 * run unchanged on both.
 */
export type SqlParam = string | number | boolean | null | Date | Array<string | null> | Array<number | null>;

export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: readonly SqlParam[], options?: QueryOptions): Promise<Row[]>;
}

export interface QueryOptions {
  /**
   * Names a hot statement whose text never changes (e.g. the message writer's
   * batch): PostgreSQL then parses it once per connection as a prepared
   * statement instead of on every call. One name, one text. PGlite ignores it.
   */
  name?: string;
}

export interface Database extends Sql {
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'pglite' | 'postgres';
  /** Connection pool counts, for metrics (PostgreSQL; PGlite has no pool). */
  poolStats?(): PoolStats;
}

export interface PoolStats {
  /** Connections open, idle or checked out. */
  total: number;
  idle: number;
  /** Requests waiting for a connection because all are checked out. */
  waiting: number;
}

/** PostgreSQL's SQLSTATE for unique_violation. */
export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e.code !== UNIQUE_VIOLATION) return false;
  if (!constraint) return true;
  // Both adapters hand out a DatabaseError naming the constraint.
  return e.constraint === constraint;
}
