import type { BenchClient } from './client.ts';
import type { CpuUse } from './cpu.ts';
import type { PhaseResult } from './load.ts';
import { codeVersion, machineInfo, type Row } from './report.ts';
import type { DbKind, ServerProcess } from './server-process.ts';
import { round, roundSummary, summarize } from './stats.ts';
import { DeliveryTracker } from './tracker.ts';

export interface DirectOptions {
  db: DbKind;
  pgUrl: string;
  pairs: number;
  messages: number;
  window: number;
  rate: number;
  warmup: number;
  timeoutS: number;
  /** CPU profile of the server. */
  profile: boolean;
  /** Kafka brokers the server relays its outbox to, with the commit → Kafka lag measured; null: no Kafka. */
  kafka: string[] | null;
}

/** Seconds spent on each setup step. */
export interface SetupTimes {
  registerS: number;
  conversationsS: number;
  connectS: number;
  /** Setup requests the server answered `rate_limited` (and that were retried). */
  rateLimitedRetries: number;
  /** 1/5/15-minute load averages when the benchmark started: other work on the machine skews results. */
  loadBefore: number[];
}

/** Turns what the direct benchmark measured into the printed table, the JSON record and a list of problems. */
export function buildDirectResult(
  opts: DirectOptions,
  setup: SetupTimes,
  server: ServerProcess | null,
  tracker: DeliveryTracker | null,
  phase: PhaseResult | null,
  cpu: CpuUse | null,
  clients: BenchClient[],
  failure: string | null,
) {
  const t = tracker ?? new DeliveryTracker(() => '');
  const measured = t.integrity((r) => r.measured);
  const all = t.integrity();
  const elapsedS = phase && t.lastAckAt > phase.startedAt ? (t.lastAckAt - phase.startedAt) / 1000 : Number.NaN;
  const deliveredS = phase && t.lastDeliveryAt > phase.startedAt ? (t.lastDeliveryAt - phase.startedAt) / 1000 : Number.NaN;
  const finish = summarize(phase ? [...t.lastMeasuredAckAt.values()].map((v) => (v - phase.startedAt) / 1000) : []);
  const delivery = summarize(t.deliveryLatencies);
  const ack = summarize(t.ackLatencies);
  const logs = server?.logs() ?? { warnings: 0, errors: 0, samples: [], tail: [] };
  const closes = clients.filter((c) => c.closeInfo && !c.closeInfo.expected).map((c) => c.closeInfo!);

  const problems: string[] = [];
  if (failure) problems.push(failure);
  if (server?.crashed) {
    // A clean exit (code 0) is the server's own SIGTERM/SIGINT path: something outside the benchmark stopped it.
    const signal = logs.tail.map((l) => /"msg":"shutting down"/.test(l) && /"signal":"(\w+)"/.exec(l)?.[1]).find(Boolean);
    problems.push(`server exited during the run (${JSON.stringify(server.crashed)}${signal ? `, after receiving ${signal}` : ''})`);
  }
  if (t.errors.count) problems.push(`${t.errors.count} error frames ${JSON.stringify(t.errors.byCode)}`);
  if (all.missing) problems.push(`${all.missing} messages never delivered`);
  if (all.duplicated) problems.push(`${all.duplicated} messages delivered more than once`);
  if (t.seqViolations) problems.push(`${t.seqViolations} seq gaps/reorders`);
  if (t.unknownFrames || t.repeatedAcks || t.serverDuplicateAcks) problems.push('unexpected acks or messages');
  if (closes.length) problems.push(`${closes.length} sockets closed by the server`);
  if (logs.errors) problems.push(`${logs.errors} server error log lines`);

  const json = {
    scenario: 'direct',
    date: new Date().toISOString(),
    ok: problems.length === 0,
    problems,
    code: codeVersion(),
    machine: { ...machineInfo(), loadavg_before: setup.loadBefore.map((v) => round(v)) },
    params: { ...opts, pgUrl: redact(opts.pgUrl), mode: opts.rate > 0 ? 'open-loop' : 'closed-loop' },
    storage: server?.storage ?? null,
    setup: { register_s: round(setup.registerS), conversations_s: round(setup.conversationsS), connect_s: round(setup.connectS), rate_limited_retries: setup.rateLimitedRetries },
    throughput: {
      messages: measured.sent,
      acked: measured.acked,
      elapsed_s: round(elapsedS, 3),
      persisted_per_s: round(measured.acked / elapsedS, 1),
      delivered_per_s: round((measured.sent - measured.missing) / deliveredS, 1),
      /** Seconds from the start of the phase until each sender's last ack: a wide spread means unfair service. */
      sender_finish_s: { min: round(finish.min), p50: round(finish.p50), max: round(finish.max) },
      max_schedule_lag_ms: phase && opts.rate > 0 ? round(phase.maxScheduleLagMs) : null,
    },
    /** Average cores busy during the measured phase (postgres: local PostgreSQL processes, when measurable). */
    cpu: cpu && {
      server_cores: round(cpu.server_cores ?? Number.NaN),
      postgres_cores: round(cpu.postgres_cores ?? Number.NaN),
      bench_cores: round(cpu.bench_cores),
    },
    latency_ms: { send_to_receive: roundSummary(delivery), send_to_ack: roundSummary(ack) },
    integrity: {
      measured,
      including_warmup: all,
      error_frames: t.errors,
      seq_violations: t.seqViolations,
      seq_violation_samples: t.seqViolationSamples,
      unknown_frames: t.unknownFrames,
      repeated_acks: t.repeatedAcks,
      server_duplicate_acks: t.serverDuplicateAcks,
      unexpected_socket_closes: closes,
    },
    server: { crashed: server?.crashed ?? null, log_warnings: logs.warnings, log_errors: logs.errors, log_samples: logs.samples, log_tail: logs.tail },
  };
  const rows: Row[] = [
    ['Run', undefined],
    ['storage', json.storage],
    ['code', `${json.code.commit?.slice(0, 7) ?? '?'} + ${json.code.uncommitted_package_files ?? '?'} uncommitted files under packages/`],
    ['pairs / sockets', `${opts.pairs} / ${opts.pairs * 2}`],
    ['mode', opts.rate > 0 ? `open loop, ${opts.rate} msg/s total` : `closed loop, window ${opts.window} per sender`],
    ['setup: register / conv / connect (s)', `${json.setup.register_s} / ${json.setup.conversations_s} / ${json.setup.connect_s}`],
    ['Throughput', undefined],
    ['messages sent / acked', `${measured.sent} / ${measured.acked}`],
    ['elapsed, first send → last ack (s)', json.throughput.elapsed_s],
    ['persisted messages/s (acks/s)', json.throughput.persisted_per_s],
    ['delivered messages/s', json.throughput.delivered_per_s],
    ['senders finished after min / p50 / max (s)', [finish.min, finish.p50, finish.max].map((v) => fmt(v, 2)).join(' / ')],
    ...(opts.rate > 0 ? [['max schedule lag (ms)', json.throughput.max_schedule_lag_ms] satisfies Row] : []),
    ['CPU cores busy: server / postgres / bench', [cpu?.server_cores, cpu?.postgres_cores, cpu?.bench_cores].map((v) => fmt(v ?? Number.NaN, 2)).join(' / ')],
    ['Latency send → receive (ms)', undefined],
    ['p50 / p95 / p99', `${fmt(delivery.p50)} / ${fmt(delivery.p95)} / ${fmt(delivery.p99)}`],
    ['mean / max', `${fmt(delivery.mean)} / ${fmt(delivery.max)}`],
    ['Latency send → ack (ms)', undefined],
    ['p50 / p95 / p99 / max', `${fmt(ack.p50)} / ${fmt(ack.p95)} / ${fmt(ack.p99)} / ${fmt(ack.max)}`],
    ['Correctness (warm-up included)', undefined],
    ['error frames', t.errors.count],
    ['missing / duplicated', `${all.missing} / ${all.duplicated}`],
    ['seq gaps or reorders', t.seqViolations],
    ['unexpected socket closes', closes.length],
    ['server log warnings / errors', `${logs.warnings} / ${logs.errors}`],
  ];
  return { json, rows, problems };
}

function fmt(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '—';
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
