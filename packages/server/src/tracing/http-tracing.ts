import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { activeTracer } from './tracer.ts';

const spans = new WeakMap<FastifyRequest, Span>();
/** Probes every few seconds from a load balancer or the kubelet: a trace each would bury the real ones. */
const UNTRACED = new Set(['/healthz', '/readyz']);

/**
 * One SERVER span per REST request, named by method and route pattern
 * (`POST /api/v1/conversations/:id/messages`: ids stay out of names), with the
 * rest of the request (later hooks, the handler, its statements) run under
 * it. An incoming `traceparent` header (a proxy that traces) is honoured as
 * the parent, as OTEL_TRACES_SAMPLER's `parentbased_*` samplers expect.
 * Registered by the composition root only when tracing is on, before the
 * routes, so it wraps all of them (the health probes excepted).
 */
export function traceHttp(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => {
    const tracer = activeTracer();
    if (tracer === null) return done();
    const route = req.routeOptions.url ?? 'unmatched';
    if (UNTRACED.has(route)) return done();
    const parent = req.headers.traceparent === undefined ? context.active() : propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(`${req.method} ${route}`, { kind: SpanKind.SERVER }, parent);
    if (!span.isRecording()) return done();
    span.setAttributes({ [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_HTTP_ROUTE]: route });
    spans.set(req, span);
    // Fastify runs the next hooks and the handler from `done`: they inherit the span.
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    if (span !== undefined) {
      spans.delete(req);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
