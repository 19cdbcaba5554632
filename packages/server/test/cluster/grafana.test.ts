import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TEST_DATABASE_URL } from '../support/databases.ts';
import { TEST_REDIS_URL } from '../support/redis.ts';
import { REPO_ROOT, which } from '../support/processes.ts';
import { exportedNames, liveParleyWithEveryMetric, metricNamesOf, PROMETHEUS_OWN } from '../support/promql.ts';

/**
 * deploy/grafana/parley.json. No Grafana runs here, so the dashboard is
 * checked by what it asks Prometheus for: every metric its queries read must
 * be exported by a running Parley (a renamed metric breaks this test, not the
 * dashboard in production), and, with promtool, every query must parse.
 */

const PROMTOOL = process.env.PROMTOOL_BIN ?? which('promtool');
const FILE = join(REPO_ROOT, 'deploy/grafana/parley.json');

interface Target { expr?: string; datasource?: { type?: string; uid?: string } }
interface Panel { type: string; title: string; datasource?: { type?: string; uid?: string }; targets?: Target[]; panels?: Panel[] }
interface Variable { name: string; type: string; query?: string | { query?: string }; definition?: string; datasource?: { uid?: string } }
interface Dashboard { schemaVersion: number; uid: string; title: string; panels: Panel[]; templating: { list: Variable[] } }

const load = (): Dashboard => JSON.parse(readFileSync(FILE, 'utf8')) as Dashboard;

/** Every panel, including those inside collapsed rows. */
const allPanels = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** The PromQL of every panel query, with the panel's title. */
const panelExprs = (d: Dashboard) => allPanels(d).flatMap((p) => (p.targets ?? []).filter((t) => t.expr).map((t) => ({ title: p.title, expr: t.expr! })));

/** The series selectors the query variables read (`label_values(selector, label)`; a one-argument `label_values(label)` reads none). */
const variableExprs = (d: Dashboard) =>
  d.templating.list
    .filter((v) => v.type === 'query')
    .flatMap((v) => {
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? v.definition ?? '');
      const m = /^\s*label_values\(\s*(.+)\s*,\s*\w+\s*\)\s*$/.exec(q);
      if (m) return [{ title: `$${v.name}`, expr: m[1]! }];
      if (/^\s*label_values\(\s*\w+\s*\)\s*$/.test(q)) return [];
      return [{ title: `$${v.name}`, expr: q }];
    });

/** Every metric name the dashboard reads. */
const dashboardMetrics = (d: Dashboard): Set<string> => new Set([...panelExprs(d), ...variableExprs(d)].flatMap((e) => metricNamesOf(e.expr)));

/** `_bucket`, `_sum` and `_count` read from a histogram, named by the histogram (for the messages). */
const family = (name: string) => name.replace(/_(bucket|sum|count)$/, '');

/** The names the dashboard reads that the exposition does not export. */
const missingFrom = (exposition: string, d: Dashboard): string[] => {
  const exported = exportedNames(exposition);
  return [...dashboardMetrics(d)].filter((n) => !exported.has(n) && !PROMETHEUS_OWN.has(n)).sort();
};

/** Grafana's variables replaced by values Prometheus accepts, so promtool can parse the query. */
const concrete = (expr: string) => expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?(\w+)\}?/g, '.*');

describe('deploy/grafana/parley.json', () => {
  it('is a dashboard for current Grafana with a Prometheus data source variable and job / instance variables', () => {
    const d = load();
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d.uid).toBe('parley-overview');
    const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
    expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.instance).toMatchObject({ type: 'query', datasource: { uid: '${datasource}' } });
    expect(vars.job).toMatchObject({ type: 'query', datasource: { uid: '${datasource}' } });
    // Every query goes to the chosen data source and is narrowed to the chosen job and instances.
    for (const panel of allPanels(d).filter((p) => p.type !== 'row')) {
      expect([panel.title, panel.datasource?.uid]).toEqual([panel.title, '${datasource}']);
      expect(panel.targets?.length ?? 0).toBeGreaterThan(0);
      for (const t of panel.targets!) {
        expect([panel.title, t.datasource?.uid]).toEqual([panel.title, '${datasource}']);
        expect([t.expr, /instance=~"\$instance"/.test(t.expr!)]).toEqual([t.expr, true]);
      }
    }
  });

  it('has panels for what the issue asks (connections, messages/s, delivery percentiles, errors, bus, database, event loop, outbox, rate limits, closes)', () => {
    const d = load();
    const exprs = panelExprs(d).map((e) => e.expr);
    const read = dashboardMetrics(d);
    for (const name of [
      'parley_ws_connections', 'parley_messages_sent_total', 'parley_delivery_seconds_bucket', 'parley_http_requests_total', 'parley_ws_frames_total',
      'parley_bus_received_total', 'parley_bus_dropped_total', 'parley_database_up', 'parley_database_pool_connections', 'parley_database_pool_waiting',
      'parley_dependency_unavailable_total', 'parley_nodejs_eventloop_lag_p99_seconds', 'parley_outbox_backlog', 'parley_outbox_oldest_unrelayed_seconds',
      'parley_rate_limited_total', 'parley_ws_server_closes_total',
    ]) expect([name, read.has(name)]).toEqual([name, true]);
    for (const q of ['0.5', '0.95', '0.99']) expect(exprs.some((e) => e.startsWith(`histogram_quantile(${q}, `) && e.includes('parley_delivery_seconds_bucket'))).toBe(true);
    expect(exprs.some((e) => e.includes('status_class="5xx"'))).toBe(true);
  });

  it('reads metric names out of the dashboard, mapping histogram series to their histogram', () => {
    const d = load();
    expect(variableExprs(d).map((e) => e.expr)).toEqual(['parley_ws_connections', 'parley_ws_connections{job=~"$job"}']);
    const read = dashboardMetrics(d);
    // No Grafana variable, label, function or keyword is taken for a metric.
    expect([...read].filter((n) => !n.startsWith('parley_'))).toEqual([]);
    expect(new Set([...read].map(family))).toContain('parley_delivery_seconds');
  });
});

const promtoolChecks = () => {
  /** The queries as recording rules in a rule file, checked by `promtool check rules`; its output (throws on a parse error). */
  const checkRules = (exprs: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-grafana-'));
    try {
      const rules = exprs.map((expr, i) => ({ record: `parley_dashboard:query_${i}`, expr: concrete(expr) }));
      writeFileSync(join(dir, 'dashboard.rules.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
      return execFileSync(PROMTOOL!, ['check', 'rules', join(dir, 'dashboard.rules.yml')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('every query parses (each as a recording rule, through promtool check rules)', () => {
    const d = load();
    const exprs = [...panelExprs(d), ...variableExprs(d)].map((e) => e.expr);
    expect(exprs.length).toBeGreaterThan(20);
    expect(checkRules(exprs)).toContain('SUCCESS');
  });

  it('and a query that does not parse is caught', () => {
    expect(() => checkRules(['sum by (instance) (rate(parley_messages_sent_total{instance=~"$instance"}[$__rate_interval])'])).toThrow();
  });
};

if (PROMTOOL) describe('deploy/grafana/parley.json queries (promtool)', promtoolChecks);
else describe.skip('deploy/grafana/parley.json queries (skipped: needs promtool, from Debian\'s prometheus package, on PATH or PROMTOOL_BIN)', promtoolChecks);

/**
 * Against a running Parley on PostgreSQL (pool metrics) and Redis (bus
 * metrics), with KAFKA_BROKERS set (outbox metrics; with no broker there the
 * relay only retries, and the gauges exist all the same): the approach of
 * prometheus.test.ts for the alert rules.
 */
const live = () => {
  const parley = liveParleyWithEveryMetric();

  it('exports every metric the dashboard reads', () => {
    const d = load();
    expect(dashboardMetrics(d).size).toBeGreaterThan(20);
    expect(missingFrom(parley.exposition(), d)).toEqual([]);
  });

  it('fails for a copy of the dashboard that reads a renamed metric or a histogram by its bare name', () => {
    const renamed = JSON.parse(readFileSync(FILE, 'utf8').replaceAll('parley_messages_sent_total', 'parley_messages_stored_total')) as Dashboard;
    expect(missingFrom(parley.exposition(), renamed)).toEqual(['parley_messages_stored_total']);
    const bare = JSON.parse(readFileSync(FILE, 'utf8').replaceAll('parley_delivery_seconds_bucket', 'parley_delivery_seconds')) as Dashboard;
    expect(missingFrom(parley.exposition(), bare)).toEqual(['parley_delivery_seconds']);
  });
};

const missing = [
  !TEST_DATABASE_URL && 'TEST_DATABASE_URL (the pool metrics need PostgreSQL)',
  !TEST_REDIS_URL && 'TEST_REDIS_URL (the bus metrics need Redis)',
].filter(Boolean);
if (missing.length === 0) describe('deploy/grafana/parley.json against a running Parley', live);
else describe.skip(`deploy/grafana/parley.json against a running Parley (skipped: needs ${missing.join(', ')})`, live);
