import { hostname } from 'node:os';
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from './tracing-config.ts';

/**
 * The process' tracer, or null while tracing is off. Every hook in the server
 * starts with `if (active === null)`, so with tracing off no span object, no
 * attribute and no context is ever built: that one check is the whole cost.
 *
 * Tracing is per process, like OpenTelemetry's global provider: the first
 * Parley created with tracing on sets it up, its `close()` shuts it down.
 * Several instances in one process (tests) share it and its resource.
 */
let active: Tracer | null = null;
let provider: TracerProvider | null = null;
let owner: object | null = null;
let contextManagerSet = false;

/** The tracer while tracing is on, else null. */
export function activeTracer(): Tracer | null {
  return active;
}

/** Resource attribute naming the host (semantic conventions, incubating: copied rather than imported). */
const ATTR_HOST_NAME = 'host.name';

/**
 * Starts tracing for `by` (a Parley instance) when the configuration turns
 * it on and no other owner has. Returns whether this owner started it.
 * `exporter` replaces the configured one (tests read spans from memory).
 */
export function startTracing(config: TracingConfig, instanceId: string, by: object, exporter?: SpanExporter): boolean {
  if (!config.enabled || provider !== null) return false;
  if (!contextManagerSet) {
    // AsyncLocalStorage carries the active span across awaits, timers and
    // microtasks, so a database statement finds the frame that caused it.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    contextManagerSet = true;
  }
  exporter ??=
    config.exporter === 'console'
      ? new ConsoleSpanExporter()
      : config.exporter === 'otlp'
        ? new OTLPTraceExporter({ url: config.otlpEndpoint })
        : new ZipkinExporter({ url: config.zipkinEndpoint, serviceName: config.serviceName });
  provider = new TracerProvider({
    sampler: samplerOf(config.sampler),
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_INSTANCE_ID]: instanceId,
      [ATTR_HOST_NAME]: config.resourceAttributes[ATTR_HOST_NAME] ?? hostname(),
    }),
    // Spans leave in batches, off the request path; a full queue drops spans, never blocks.
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: config.exportDelayMs })],
  });
  active = provider.getTracer('parley');
  owner = by;
  return true;
}

/** Exports what is buffered and stops tracing, if `by` started it. */
export async function stopTracing(by: object): Promise<void> {
  if (owner !== by || provider === null) return;
  const stopping = provider;
  active = null;
  provider = null;
  owner = null;
  await stopping.shutdown().catch(() => {});
}

function samplerOf({ name, ratio }: TracingConfig['sampler']): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/** The active span's ids for a log line, when one is recording. */
export function activeSpanIds(): { trace_id: string; span_id: string } | null {
  if (active === null) return null;
  const span = trace.getActiveSpan();
  if (span === undefined || !span.isRecording()) return null;
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
