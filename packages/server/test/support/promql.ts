import { afterAll, beforeAll } from 'vitest';
import { postgresDatabase, type TestDatabase } from './databases.ts';
import { startServer, type TestServer } from './harness.ts';
import { freePort } from './processes.ts';
import { TEST_REDIS_URL, testPrefix } from './redis.ts';

/**
 * Reading PromQL and Prometheus expositions in tests: which metric names an
 * expression reads, and which names a running Parley exports. Used by the
 * alert rules' test (deploy/prometheus) and the dashboard's (deploy/grafana).
 */

// PromQL words that are not metric names: aggregation and set operators, modifiers.
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: what is left once strings,
 * label matchers, ranges, grouping clauses, function calls and keywords are
 * taken out.
 */
export function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b[a-zA-Z_]\w*\s*\(/g, ' (');
  const names = (bare.match(/\b[a-zA-Z_:][\w:]*\b/g) ?? []).filter((w) => !KEYWORDS.has(w.toLowerCase()));
  return [...new Set(names)];
}

/**
 * Every series name the scrape can answer a query for: each metric's name,
 * and for a histogram its `_bucket`, `_sum` and `_count` series instead (a
 * histogram has no series under its bare name), for a summary `_sum` and
 * `_count` as well.
 */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE (\S+) (\w+)/.exec(line);
    if (!m) continue;
    const [, name, type] = m as unknown as [string, string, string];
    if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => names.add(name + s));
    else names.add(name);
    if (type === 'summary') ['_sum', '_count'].forEach((s) => names.add(name + s));
  }
  return names;
}

/** Series Prometheus makes itself for every target, not read from the scrape. */
export const PROMETHEUS_OWN = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

/**
 * A running Parley that exports every metric family, for a test file's
 * tests: on PostgreSQL (pool metrics) and Redis (bus metrics), with
 * KAFKA_BROKERS set (outbox metrics; with no broker there the relay only
 * retries, and the gauges exist all the same) and its metrics listener on.
 * `exposition` is its `/metrics` as scraped once at the start.
 */
export function liveParleyWithEveryMetric(): { server(): TestServer; exposition(): string } {
  let database: TestDatabase | undefined;
  let server: TestServer | undefined;
  let exposition = '';
  beforeAll(async () => {
    database = await postgresDatabase();
    const kafka = process.env.TEST_KAFKA_BROKERS ?? `127.0.0.1:${await freePort()}`;
    server = await startServer(database.db, {
      env: { METRICS_PORT: '0', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: testPrefix(), KAFKA_BROKERS: kafka, KAFKA_TOPIC_PREFIX: `parley-test-${crypto.randomUUID().slice(0, 8)}.` },
    });
    exposition = await (await fetch(`${server.parley.metricsUrl}/metrics`)).text();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });
  return {
    server: () => {
      if (!server) throw new Error('the server starts in beforeAll: ask for it inside a test');
      return server;
    },
    exposition: () => exposition,
  };
}
