import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { activeTracer } from './tracer.ts';

/**
 * The spans Parley records, as small hooks the edges call. Each returns
 * `undefined` (or runs its callback untouched) while tracing is off, and
 * child spans are only started under a recording parent: a statement or a
 * publish outside any traced frame or request (a heartbeat, the outbox relay)
 * starts no trace of its own, and at 1 % sampling the other 99 % of frames
 * build nothing past their unsampled root. No span carries message text,
 * tokens or statement parameters.
 */

/** A span that is recording, under which children may be started. */
function recordingParent(): Span | undefined {
  const span = trace.getActiveSpan();
  return span !== undefined && span.isRecording() ? span : undefined;
}

/** Runs `fn` with `span` as the active span (its children, log lines and bus payloads see it). */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

// ---- WebSocket frames -------------------------------------------------------

/** The root span of one decoded client frame, named by its type; undefined when off or not sampled. */
export function startFrameSpan(frameType: string): Span | undefined {
  const tracer = activeTracer();
  if (tracer === null) return undefined;
  const span = tracer.startSpan(`ws ${frameType}`, { kind: SpanKind.SERVER, root: true });
  if (!span.isRecording()) return undefined;
  span.setAttribute('parley.frame.type', frameType);
  return span;
}

/** Ends a frame span with its outcome: `ok` or the error code sent back (status error for server faults). */
export function endFrameSpan(span: Span | undefined, outcome: string, serverFault = false): void {
  if (span === undefined) return;
  span.setAttribute('parley.frame.outcome', outcome);
  if (serverFault) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
  span.end();
}

// ---- Bus --------------------------------------------------------------------

/** `user`, `room`, `presence`, `control`: the kind of a bus channel, never its id. */
export function channelKind(channel: string): string {
  const colon = channel.indexOf(':');
  return colon === -1 ? channel : channel.slice(0, colon);
}

/** A publish on the bus, as a child of the active span; `fn` runs with it active so the payload carries it. */
export function tracePublish(channel: string, frameType: string | undefined, fn: () => Promise<void>): Promise<void> {
  const tracer = activeTracer();
  if (tracer === null || recordingParent() === undefined) return fn();
  const span = tracer.startSpan(`bus publish ${channelKind(channel)}`, {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.system': 'parley-bus', 'messaging.operation.type': 'send', 'parley.bus.channel_kind': channelKind(channel), ...(frameType ? { 'parley.frame.type': frameType } : {}) },
  });
  return withSpan(span, fn).then(
    () => span.end(),
    (err: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'publish failed' });
      span.end();
      throw err;
    },
  );
}

/**
 * The W3C `traceparent` of the active recording span, to travel with a bus
 * payload to other instances; undefined (nothing added to the payload) when
 * tracing is off or the work is not sampled.
 */
export function outgoingTraceparent(): string | undefined {
  if (activeTracer() === null) return undefined;
  const span = recordingParent();
  if (span === undefined) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00'}`;
}

/** Length of a version-00 traceparent: `00-` 32 hex `-` 16 hex `-` 2 hex. */
export const TRACEPARENT_LENGTH = 55;

/**
 * Runs `fn` (the local hand-over of a payload that arrived from another
 * instance) under the sender's span context, so the delivery span that the
 * hub starts joins the sender's trace. A malformed traceparent is ignored.
 */
export function withRemoteParent<T>(traceparent: string, fn: () => T): T {
  if (activeTracer() === null) return fn();
  const parent = parseTraceParent(traceparent);
  if (parent === null) return fn();
  return context.with(trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true }), fn);
}

// ---- Delivery on a receiving instance ----------------------------------------

/**
 * The hand-over of one bus payload to this instance's sockets, as a child of
 * the publish that sent it (local or remote); undefined unless that publish
 * was sampled.
 */
export function startDeliverySpan(channel: string, sockets: number): Span | undefined {
  const tracer = activeTracer();
  if (tracer === null) return undefined;
  const parent = trace.getSpanContext(context.active());
  if (parent === undefined || (parent.traceFlags & TraceFlags.SAMPLED) !== TraceFlags.SAMPLED) return undefined;
  return tracer.startSpan(`bus deliver ${channelKind(channel)}`, {
    kind: SpanKind.CONSUMER,
    attributes: { 'messaging.system': 'parley-bus', 'messaging.operation.type': 'process', 'parley.bus.channel_kind': channelKind(channel), 'parley.sockets': sockets },
  });
}
