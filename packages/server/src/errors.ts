import { httpStatusOf, type ErrorCode } from '@parley/protocol';

/** The one error type of the server: a stable code, a safe message, an optional cause. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryAfter?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryAfter = options.retryAfter;
  }

  get status(): number {
    return httpStatusOf(this.code);
  }
}

/** Turns anything thrown into an AppError; unknown errors become `internal` with no detail leaked. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('internal', 'internal server error', { cause: err });
}
