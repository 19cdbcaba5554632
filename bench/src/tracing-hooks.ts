/**
 * The per-frame cost of the tracing hooks alone, in one process, without a
 * server or a network: what a `send_message` frame goes through (frame span,
 * a statement, two publishes with their traceparent, one delivery), timed
 * over many iterations with tracing off, on at 1 % and on at 100 %. Spans go
 * to an exporter that drops them, so this is the instrumentation's CPU cost;
 * `npm run bench:tracing` measures the whole server, export included.
 *
 *   npm run bench:tracing-hooks -- [--frames 200000]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { ExportResultCode } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { loadConfig } from '../../packages/server/src/config.ts';
import { startTracing, stopTracing } from '../../packages/server/src/tracing/tracer.ts';
import { endFrameSpan, outgoingTraceparent, startDeliverySpan, startFrameSpan, tracePublish, withRemoteParent, withSpan } from '../../packages/server/src/tracing/spans.ts';
import { traceDatabase } from '../../packages/server/src/tracing/traced-database.ts';
import type { Database } from '../../packages/server/src/store/database.ts';
import { printTable, type Row } from './lib/report.ts';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '200000' } }, strict: true });
const frames = Number(values.frames);

const dropAll: SpanExporter = { export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => {} };
const fakeDb = { kind: 'postgres', query: async () => [], transaction: async (fn: any) => fn(fakeDb), exec: async () => {}, close: async () => {} } as unknown as Database;
const STATEMENT = 'WITH input AS (SELECT * FROM unnest($1::uuid[])) INSERT INTO messages SELECT * FROM input';

/** One `send_message` frame's worth of hooks; returns the traceparent the bus would carry. */
async function frame(db: Database): Promise<void> {
  const span = startFrameSpan('send_message');
  const work = async () => {
    await db.query(STATEMENT, ['x']);
    let tp: string | undefined;
    await tracePublish('user:a', 'message', async () => void (tp = outgoingTraceparent()));
    await tracePublish('user:b', 'message', async () => void (tp = outgoingTraceparent()));
    withRemoteParent(tp ?? '', () => startDeliverySpan('user:b', 1)?.end());
  };
  await (span === undefined ? work() : withSpan(span, work));
  endFrameSpan(span, 'ok');
}

async function measure(env: Record<string, string>): Promise<number> {
  const owner = {};
  startTracing(loadConfig(env).tracing, 'bench', owner, dropAll);
  // As the composition root does: the database is wrapped only when tracing is on.
  const db = env.OTEL_TRACES_EXPORTER ? traceDatabase(fakeDb) : fakeDb;
  for (let i = 0; i < 20_000; i++) await frame(db); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) await frame(db);
  const us = ((performance.now() - t0) * 1000) / frames;
  await stopTracing(owner);
  return us;
}

const rows: Row[] = [];
const modes: Array<[string, Record<string, string>]> = [
  ['off', {}],
  ['on, 1 %', { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' }],
  ['on, 100 %', { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER: 'parentbased_always_on' }],
];
const results: Record<string, number[]> = {};
for (let round = 0; round < 3; round++) {
  for (const [name, env] of modes) (results[name] ??= []).push(await measure(env));
}
for (const [name] of modes) {
  const sorted = [...results[name]!].sort((a, b) => a - b);
  // The fastest of three: on a shared machine the others measure the neighbours too.
  rows.push([`tracing ${name}`, `${sorted[0]!.toFixed(2)} µs per frame (fastest of 3; all: ${sorted.map((v) => v.toFixed(2)).join(' / ')})`]);
}
printTable(`Tracing hooks per send_message frame (${frames} frames, no server, spans dropped)`, rows);
