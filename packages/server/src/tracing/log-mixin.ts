import { activeSpanIds } from './tracer.ts';

const NONE = Object.freeze({});

/**
 * pino `mixin`: a log line written while a span is recording carries its
 * `trace_id` and `span_id`, so an operator goes from a log line to its trace.
 * With tracing off it returns one shared empty object, which
 * `traceLogMixinMerge` leaves alone (pino's default merge would write into it).
 */
export function traceLogMixin(): object {
  return activeSpanIds() ?? NONE;
}

export function traceLogMixinMerge(mergeObject: object, mixinObject: object): object {
  return mixinObject === NONE ? mergeObject : Object.assign(mixinObject, mergeObject);
}
