import pino, { type DestinationStream, type Logger } from 'pino';
import type { IncomingMessage } from 'node:http';
import { traceLogMixin, traceLogMixinMerge } from './tracing/log-mixin.ts';

/**
 * Structured logs that never carry message text, tokens or passwords: requests
 * are logged by method and path only (a query string may hold a ticket), and
 * credential headers are redacted should anything log them. While a traced
 * span is active, a line carries its `trace_id` and `span_id`.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
    level,
    mixin: traceLogMixin,
    mixinMergeStrategy: traceLogMixinMerge,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["sec-websocket-protocol"]', '*.password', '*.access_token', '*.refresh_token', '*.token'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: IncomingMessage & { ip?: string }) => ({
        method: req.method,
        // An incoming webhook's secret is its path: only the route is logged.
        url: (req.url ?? '').split('?')[0]!.replace(/^\/api\/v1\/hooks\/[^/]+/, '/api/v1/hooks/[redacted]'),
        remoteAddress: req.ip ?? req.socket?.remoteAddress,
      }),
      err: pino.stdSerializers.err,
    },
    },
    destination,
  );
}
