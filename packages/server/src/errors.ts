import { httpStatusOf, type ErrorCode } from '@parley/protocol';
import { DatabaseUnavailable } from './store/database-error.ts';

/** An outside service a request may find unreachable (the label of `parley_dependency_unavailable_total`). */
export type Dependency = 'postgres';

/** Seconds a client is told to wait before sending again while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 1;

/** The one error type of the server: a stable code, a safe message, an optional cause. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfter: number | undefined;
  /** Set when the error is an outage of this dependency rather than anything about the request. */
  readonly dependency: Dependency | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryAfter?: number; dependency?: Dependency } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryAfter = options.retryAfter;
    this.dependency = options.dependency;
  }

  get status(): number {
    return httpStatusOf(this.code);
  }
}

/**
 * Turns anything thrown into an AppError: an unreachable database becomes
 * `unavailable` with a `retry_after` (an outage, not a bug: the client sends
 * again), unknown errors `internal` with no detail leaked.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof DatabaseUnavailable) {
    return new AppError('unavailable', 'the database is unreachable: send again shortly', {
      cause: err,
      retryAfter: DATABASE_RETRY_AFTER_SECONDS,
      dependency: 'postgres',
    });
  }
  return new AppError('internal', 'internal server error', { cause: err });
}
