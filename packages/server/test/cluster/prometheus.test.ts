import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { TEST_DATABASE_URL } from '../support/databases.ts';
import { TEST_REDIS_URL } from '../support/redis.ts';
import { freePort, REPO_ROOT, which } from '../support/processes.ts';
import { connect, register } from '../support/harness.ts';
import { eventually } from '../support/eventually.ts';
import { exportedNames, liveParleyWithEveryMetric, metricNamesOf, PROMETHEUS_OWN } from '../support/promql.ts';

const PROMTOOL = process.env.PROMTOOL_BIN ?? which('promtool');
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? which('prometheus');
const DIR = join(REPO_ROOT, 'deploy/prometheus');

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
}

const promtool = (...args: string[]) => execFileSync(PROMTOOL!, args, { cwd: DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const files = () => {
  it('reads metric names out of PromQL', () => {
    expect(metricNamesOf('sum by (job, instance) (rate(parley_x_total{a="b",c=~"d|e"}[5m])) / on(job) group_left sum(up) > 0.5'))
      .toEqual(['parley_x_total', 'up']);
    expect(metricNamesOf('histogram_quantile(0.99, sum by (le) (rate(foo_bucket[1m]))) > 1 and bar == 0')).toEqual(['foo_bucket', 'bar']);
  });

  it('passes promtool check config, check rules and the rules unit tests', () => {
    // promtool exits non-zero (and execFileSync throws) on any error.
    expect(promtool('check', 'config', 'prometheus.yml')).toContain('SUCCESS');
    expect(promtool('check', 'rules', 'alerts.yml')).toContain('SUCCESS');
    expect(promtool('test', 'rules', 'alerts.test.yml')).toContain('SUCCESS');
  });

  it('documents every alert in docs/operations.md', () => {
    const rules = parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as RuleFile;
    const runbook = readFileSync(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    const headings = new Set([...runbook.matchAll(/^### (.+)$/gm)].flatMap((m) => m[1]!.replace(/\s*\(.*\)$/, '').split(/,\s*/)));
    for (const rule of rules.groups.flatMap((g) => g.rules)) if (rule.alert) expect([rule.alert, headings.has(rule.alert)]).toEqual([rule.alert, true]);
  });

  it('unit-tests every alert', () => {
    const rules = parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as RuleFile;
    const tests = parse(readFileSync(join(DIR, 'alerts.test.yml'), 'utf8')) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
    const fired = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    const quiet = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length === 0).map((a) => a.alertname)));
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      if (!rule.alert) continue;
      expect([rule.alert, fired.has(rule.alert), quiet.has(rule.alert)]).toEqual([rule.alert, true, true]);
    }
  });
};

/**
 * Against a running Parley (PostgreSQL for the pool metrics, Redis for the bus metrics, KAFKA_BROKERS
 * for the outbox ones: with no broker there the relay only retries, and the
 * gauges exist all the same): every metric the rules read is exported, and
 * Debian's Prometheus, configured from deploy/prometheus, scrapes the metrics
 * listener, loads the rules, and answers a query for a Parley metric.
 */
const live = () => {
  const parley = liveParleyWithEveryMetric();

  it('exports every metric the alert rules read', () => {
    const rules = parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as RuleFile;
    const exported = exportedNames(parley.exposition());
    const read = new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => metricNamesOf(r.expr))));
    expect(read.size).toBeGreaterThan(5);
    expect([...read].filter((name) => !exported.has(name) && !PROMETHEUS_OWN.has(name))).toEqual([]);
  });

  it('is scraped by a private Prometheus configured from deploy/prometheus, which loads the rules and answers a query', async () => {
    const x = await register(parley.server().url);
    const socket = await connect(parley.server(), x);
    const dir = mkdtempSync(join(tmpdir(), 'parley-prometheus-'));
    let prometheus: ChildProcess | null = null;
    const stderr: string[] = [];
    try {
      // The shipped configuration, with its discovery replaced by this instance's listener and short intervals.
      const config = parse(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as {
        global: Record<string, string>;
        rule_files: string[];
        scrape_configs: Array<Record<string, unknown>>;
      };
      config.global.scrape_interval = '1s';
      config.global.evaluation_interval = '1s';
      config.rule_files = config.rule_files.map((f) => join(DIR, f));
      const job = config.scrape_configs.find((c) => c.job_name === 'parley')!;
      delete job.dns_sd_configs;
      job.scrape_timeout = '1s';
      job.static_configs = [{ targets: [new URL(parley.server().parley.metricsUrl!).host] }];
      writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
      const port = await freePort();
      prometheus = spawn(PROMETHEUS!, [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      prometheus.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
      const base = `http://127.0.0.1:${port}`;
      const query = async (q: string) => {
        const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
        expect(body.status).toBe('success');
        return body.data.result;
      };

      const connections = await eventually(
        async () => {
          const result = await query('parley_ws_connections{job="parley"}');
          expect(result).toHaveLength(1);
          return result[0]!;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\nprometheus said:\n${stderr.join('').slice(-3000)}`);
      });
      expect(connections.value[1]).toBe('1');
      expect(await query('up{job="parley"}')).toMatchObject([{ value: [expect.any(Number), '1'] }]);

      const rules = (await (await fetch(`${base}/api/v1/rules`)).json()) as { data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string }> }> } };
      const shipped = parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as RuleFile;
      const loaded = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
      expect(loaded.sort()).toEqual(shipped.groups.flatMap((g) => g.rules.map((r) => r.alert ?? r.record!)).sort());
    } finally {
      socket.close();
      if (prometheus && prometheus.exitCode === null) {
        const exited = new Promise((r) => prometheus!.once('exit', r));
        prometheus.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
};

if (PROMTOOL) describe('deploy/prometheus files (promtool)', files);
else describe.skip('deploy/prometheus files (skipped: needs promtool, from Debian\'s prometheus package, on PATH or PROMTOOL_BIN)', files);

const missing = [
  !PROMETHEUS && 'prometheus (Debian package, on PATH or PROMETHEUS_BIN)',
  !TEST_DATABASE_URL && 'TEST_DATABASE_URL (the pool metrics need PostgreSQL)',
  !TEST_REDIS_URL && 'TEST_REDIS_URL (the bus metrics need Redis)',
].filter(Boolean);
if (missing.length === 0) describe('Prometheus against a running Parley', live);
else describe.skip(`Prometheus against a running Parley (skipped: needs ${missing.join(', ')})`, live);
