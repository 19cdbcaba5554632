import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, platform, release } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, RESULTS_DIR } from './paths.ts';

export type Row = [label: string, value: string | number | null | undefined];

/** Prints a two-column table, with optional section headings (a row whose value is `undefined`). */
export function printTable(title: string, rows: Row[], out: (line: string) => void = console.log): void {
  const width = Math.max(...rows.map(([label]) => label.length), title.length - 4);
  const bar = '─'.repeat(width + 24);
  out(bar);
  out(`  ${title}`);
  out(bar);
  for (const [label, value] of rows) {
    if (value === undefined) {
      out(`  ${label}`);
      continue;
    }
    out(`    ${label.padEnd(width)}  ${formatValue(value)}`);
  }
  out(bar);
}

function formatValue(value: string | number | null): string {
  if (value === null) return '—';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '—';
    return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2);
  }
  return value;
}

/** The machine the benchmark ran on, for the record. */
export function machineInfo() {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpu_model: cores[0]?.model ?? 'unknown',
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${release()}`,
    node: process.version,
    /** 1/5/15-minute load averages now (at the end of a run). */
    loadavg: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** The commit the benchmarked code is at, and how many files under packages/ differ from it. */
export function codeVersion(): { commit: string | null; uncommitted_package_files: number | null } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git('rev-parse', 'HEAD').trim();
    const dirty = git('status', '--porcelain', '--', 'packages').split('\n').filter(Boolean).length;
    return { commit, uncommitted_package_files: dirty };
  } catch {
    return { commit: null, uncommitted_package_files: null };
  }
}

/** Writes `data` to `bench/results/<scenario>-<variant>-<timestamp>.json`; returns the path. */
export async function writeResult(scenario: string, variant: string, data: unknown): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(RESULTS_DIR, `${scenario}-${variant}-${stamp}.json`);
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
