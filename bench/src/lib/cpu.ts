import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every mainstream Linux). */
const USER_HZ = 100;

/**
 * User + system CPU time of another process in ms, from /proc (Linux); null
 * where unavailable. With `reapedChildren`, also the CPU of its children that
 * exited and were waited for (cutime, cstime).
 */
export function processCpuMs(pid: number, reapedChildren = false): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + (reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0);
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : null;
  } catch {
    return null;
  }
}

/**
 * CPU time of every local process named `postgres` (a local PostgreSQL
 * server's postmaster and backends), ms; null without /proc. Backends that
 * exited count too, through the postmaster's reaped-children time: without
 * it a step during which a pool closed connections lost their CPU.
 */
export function postgresCpuMs(): number | null {
  let total = 0;
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      } catch {
        continue; // exited meanwhile
      }
      total += processCpuMs(Number(pid), true) ?? 0;
    }
  } catch {
    return null;
  }
  return total;
}

export interface CpuSample {
  wallMs: number;
  serverMs: number | null;
  postgresMs: number | null;
  benchMs: number;
}

export function sampleCpu(serverPid: number, withPostgres: boolean): CpuSample {
  const own = process.cpuUsage();
  return {
    wallMs: performance.now(),
    serverMs: processCpuMs(serverPid),
    postgresMs: withPostgres ? postgresCpuMs() : null,
    benchMs: (own.user + own.system) / 1000,
  };
}

export interface CpuUse {
  server_cores: number | null;
  postgres_cores: number | null;
  bench_cores: number;
}

/**
 * Average cores busy between two samples: the Parley server process, the local
 * PostgreSQL processes (backends that exit in between are not counted) and
 * this benchmark process.
 */
export function cpuBetween(a: CpuSample, b: CpuSample): CpuUse {
  const wall = b.wallMs - a.wallMs;
  const per = (x: number | null, y: number | null) => (x === null || y === null ? null : (y - x) / wall);
  return {
    server_cores: per(a.serverMs, b.serverMs),
    postgres_cores: per(a.postgresMs, b.postgresMs),
    bench_cores: (b.benchMs - a.benchMs) / wall,
  };
}
