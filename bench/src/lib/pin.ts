import { execFileSync } from 'node:child_process';
import { pidsByComm } from './proc.ts';

/**
 * CPU pinning for `--pin` runs (Linux `taskset`): the server under test on one
 * core, everything else (this load generator and its workers, PostgreSQL,
 * Redis) on another. PostgreSQL and Redis run as system services here, so
 * their processes are re-pinned for the run (`taskset -a -p`: every thread;
 * backends forked later inherit the postmaster's mask) and given back their
 * previous masks afterwards.
 */
export interface Pinning {
  serverCore: number;
  otherCore: number;
  /** Pins the services again (new backends started since inherit it anyway; cheap to repeat). */
  repin(): void;
  /** Restores the masks the services had before the run. */
  restore(): void;
  /** What was pinned, for the JSON. */
  describe(): Record<string, unknown>;
}

function affinity(pid: number): string | null {
  try {
    const out = execFileSync('taskset', ['-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /:\s*([0-9a-f]+)\s*$/.exec(out.trim())?.[1] ?? null;
  } catch {
    return null;
  }
}

function setAffinity(pid: number, cpuList: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false; // exited meanwhile, or not ours to pin
  }
}

function setMask(pid: number, mask: string): void {
  try {
    execFileSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
  } catch {
    // exited meanwhile
  }
}

/** The service processes re-pinned for the run: PostgreSQL (postmaster and backends) and Redis. */
const SERVICES = ['postgres', 'redis-server'];

export function pinAll(serverCore = 0, otherCore = 1): Pinning {
  const saved = new Map<number, string>();
  const pinned: Record<string, number> = {};
  const repin = () => {
    for (const comm of SERVICES) {
      let n = 0;
      for (const pid of pidsByComm(comm)) {
        if (!saved.has(pid)) {
          const mask = affinity(pid);
          if (mask) saved.set(pid, mask);
        }
        if (setAffinity(pid, String(otherCore))) n++;
      }
      pinned[comm] = Math.max(pinned[comm] ?? 0, n);
    }
  };
  if (!setAffinity(process.pid, String(otherCore))) throw new Error('taskset failed on the benchmark process: --pin needs Linux and taskset');
  repin();
  process.once('exit', () => restore());
  // An interrupted run must still give the services their masks back.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      restore();
      process.exit(130);
    });
  }
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    for (const [pid, mask] of saved) setMask(pid, mask);
  };
  return {
    serverCore,
    otherCore,
    repin,
    restore,
    describe: () => ({ server_core: serverCore, other_core: otherCore, load_generator: `pid ${process.pid} and its children`, processes_pinned: { ...pinned } }),
  };
}

/** The command prefix that starts a process pinned to `core` (taskset execs, so the pid is the program's). */
export function pinnedCommand(core: number): string[] {
  return ['taskset', '-c', String(core)];
}

/** Pins a running process (every thread) to `core`, e.g. a forked reference server. */
export function pinPid(pid: number, core: number): void {
  if (!setAffinity(pid, String(core))) throw new Error(`taskset could not pin pid ${pid} to core ${core}`);
}
