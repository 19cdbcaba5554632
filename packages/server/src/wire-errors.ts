import type { Logger } from 'pino';
import { CloseCodes, type CloseCode, type ErrorBody, type ErrorCode, type ErrorFrame } from '@parley/protocol';
import { toAppError, type AppError } from './errors.ts';
import type { Audit } from './audit.ts';
import type { Metrics } from './metrics.ts';

/**
 * The one mapping from errors to the wire: the REST body (and `Retry-After`),
 * the WebSocket `error` frame, the HTTP answer to a refused upgrade, and the
 * close code a socket ends with. Every place an error leaves the process goes
 * through here, so the three shapes cannot drift apart.
 */

/** `{ error: { code, message, retry_after? } }`: the body of REST errors and of refused upgrades. */
export function errorBody(e: AppError): ErrorBody {
  return { error: { code: e.code, message: e.message, ...(e.retryAfter !== undefined ? { retry_after: e.retryAfter } : {}) } };
}

/** The `error` frame answering a WebSocket request (echoing its id). */
export function errorFrame(e: AppError, id: string | undefined): ErrorFrame {
  return { type: 'error', id, code: e.code, message: e.message, ...(e.retryAfter !== undefined ? { retry_after: e.retryAfter } : {}) };
}

/** Headers that go with an error response (`Retry-After` when the client should wait). */
export function errorHeaders(e: AppError): Record<string, string> {
  return e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : {};
}

/** The close code for an error that ends a socket. */
const CLOSE_CODES: Partial<Record<ErrorCode, CloseCode>> = {
  unauthenticated: CloseCodes.unauthenticated,
  token_expired: CloseCodes.unauthenticated,
  forbidden: CloseCodes.forbidden,
  rate_limited: CloseCodes.rateLimited,
  unavailable: CloseCodes.serviceRestart,
};

export function closeCodeOf(e: AppError): CloseCode {
  // Anything else that ends a socket is the server's fault: reconnect (elsewhere).
  return CLOSE_CODES[e.code] ?? CloseCodes.serviceRestart;
}

const HTTP_REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' };

/** A complete HTTP/1.1 error response, for an upgrade refused before any 101 (no framework is there to write it). */
export function rawHttpError(e: AppError): string {
  const body = JSON.stringify(errorBody(e));
  const headers = Object.entries(errorHeaders(e)).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return (
    `HTTP/1.1 ${e.status} ${HTTP_REASONS[e.status] ?? 'Error'}\r\n` +
    'Connection: close\r\nContent-Type: application/json\r\n' +
    headers +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Where an error happened, for the log, the audit trail and metrics (ids only, never content). */
export interface ErrorContext {
  /** The REST route (`POST /api/v1/...`) or the frame type. */
  action: string;
  userId: string | null;
}

/**
 * What every error leaving the process is recorded as, REST or WebSocket
 * alike: an unknown error is logged (it is a bug), an outage counted per
 * dependency, a refusal of someone else's conversation audited.
 */
export class ErrorObserver {
  constructor(
    private readonly log: Logger,
    private readonly audit: Audit,
    private readonly metrics: Pick<Metrics, 'dependencyUnavailable'>,
  ) {}

  observe(err: unknown, context: ErrorContext, log: Logger = this.log): AppError {
    const e = toAppError(err);
    if (e.code === 'internal') log.error({ err, action: context.action }, 'request failed');
    if (e.dependency) this.metrics.dependencyUnavailable.inc({ dependency: e.dependency });
    if (e.code === 'forbidden' || e.code === 'conversation_not_found') {
      this.audit.event('permission_denied', { action: context.action, user_id: context.userId });
    }
    return e;
  }
}
