import { readdirSync, readFileSync } from 'node:fs';
import { processCpuMs } from './cpu.ts';

/** Resident set size of a process in bytes (VmRSS from /proc/<pid>/status); null when it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Pids of every process whose command name is `comm` (e.g. `postgres`, `redis-server`). */
export function pidsByComm(comm: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) out.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** A named group of processes whose CPU time is measured together. */
export interface ProcGroup {
  name: string;
  pids: () => number[];
}

/** CPU ms of every group now; take two and call `coresBetween`. */
export function sampleGroups(groups: ProcGroup[]): { at: number; ms: Record<string, Map<number, number>> } {
  const ms: Record<string, Map<number, number>> = {};
  for (const g of groups) {
    const byPid = new Map<number, number>();
    for (const pid of g.pids()) {
      const t = processCpuMs(pid);
      if (t !== null) byPid.set(pid, t);
    }
    ms[g.name] = byPid;
  }
  return { at: performance.now(), ms };
}

/** Average cores each group used between two samples (processes that exited in between are not counted; new ones count from 0). */
export function coresBetween(a: ReturnType<typeof sampleGroups>, b: ReturnType<typeof sampleGroups>): Record<string, number> {
  const wall = b.at - a.at;
  const out: Record<string, number> = {};
  for (const [name, pids] of Object.entries(b.ms)) {
    let used = 0;
    for (const [pid, t] of pids) used += t - (a.ms[name]?.get(pid) ?? 0);
    out[name] = Math.round((used / wall) * 100) / 100;
  }
  return out;
}

/** One value of a Prometheus text exposition (first sample of `name`, labels ignored), from a server's metrics listener. */
export async function scrapeMetric(baseUrl: string, names: string[]): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {};
  try {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    for (const name of names) {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
      out[name] = m ? Number(m[1]) : null;
    }
  } catch {
    for (const name of names) out[name] = null;
  }
  return out;
}
