import { isErrorCode, retryableErrorCodes, type ErrorCode } from '@parley/protocol';

/**
 * Codes the SDK itself gives to failures that never reached the server's
 * error table: the network failed, a reply did not come in time, the socket
 * closed while a request was in flight, or a reply could not be read.
 */
export type ClientErrorCode = 'network_error' | 'timeout' | 'disconnected' | 'bad_response' | 'closed';

/** Client codes after which the same request may succeed if sent again. */
const retryableClientCodes: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>([
  'network_error',
  'timeout',
  'disconnected',
]);

/**
 * The one error type of the SDK: a stable `code` (a protocol `ErrorCode`
 * or a {@link ClientErrorCode}), the HTTP status when there was one, and
 * `retryAfter` in seconds when the server gave it.
 *
 * @example
 * ```ts
 * try { await client.api.login({ username, password }); }
 * catch (err) { if (err instanceof ParleyError && err.code === 'invalid_credentials') showWrongPassword(); }
 * ```
 */
export class ParleyError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  readonly status: number | undefined;
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode | ClientErrorCode,
    message: string,
    options: { status?: number; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ParleyError';
    this.code = code;
    this.status = options.status;
    this.retryAfter = options.retryAfter;
  }

  /** True when sending the same request again, unchanged, may succeed. */
  get retryable(): boolean {
    return isErrorCode(this.code)
      ? retryableErrorCodes.has(this.code)
      : retryableClientCodes.has(this.code as ClientErrorCode);
  }
}

/** Reads a protocol error body (`{ error: { code, message, retry_after? } }`) or frame into a ParleyError. */
export function toParleyError(value: unknown, status?: number): ParleyError {
  const source =
    typeof value === 'object' && value !== null && 'error' in value && typeof value.error === 'object'
      ? (value.error as Record<string, unknown>)
      : (value as Record<string, unknown> | null);
  const code = source?.code;
  const message = typeof source?.message === 'string' ? source.message : 'request failed';
  const retryAfter = typeof source?.retry_after === 'number' ? source.retry_after : undefined;
  if (isErrorCode(code)) return new ParleyError(code, message, { status, retryAfter });
  return new ParleyError(
    status !== undefined && status >= 500 ? 'internal' : 'bad_response',
    `unexpected error response${status !== undefined ? ` (HTTP ${status})` : ''}`,
    { status },
  );
}

/** Anything thrown, as a ParleyError (unknown failures become `internal`). */
export function asParleyError(err: unknown): ParleyError {
  return err instanceof ParleyError ? err : new ParleyError('internal', String(err), { cause: err });
}
