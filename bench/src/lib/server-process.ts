import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './paths.ts';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.ts';

export type DbKind = 'pglite' | 'postgres';

export interface ServerOptions {
  db: DbKind;
  /** Admin connection string of the PostgreSQL server that gets a scratch database (`db: 'postgres'`). */
  pgUrl: string;
  /** Extra environment for the server (e.g. `DATABASE_POOL_SIZE`). */
  env?: Record<string, string>;
  /** Milliseconds to wait for the "Parley is running" log line. */
  startTimeoutMs?: number;
  /** Use this existing PostgreSQL database (shared by several instances) instead of creating a scratch one; it is not dropped. */
  databaseUrl?: string;
  /** Extra Node.js flags before the entry point (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Start the server pinned to this CPU core (`taskset -c`; every thread, libuv pool and GC included). */
  pinCore?: number;
  /** Run the server of another checkout of the repository (its own node_modules), e.g. the commit before a change. */
  root?: string;
}

/** What the server logged while the benchmark ran. */
export interface ServerLogSummary {
  warnings: number;
  errors: number;
  /** The last few warning/error lines and any non-JSON output (stderr, crashes), verbatim. */
  samples: string[];
  /** The last few lines of any level (shows e.g. a `shutting down` line with the signal that stopped it). */
  tail: string[];
}

export interface ServerProcess {
  /** `http://127.0.0.1:PORT` */
  baseUrl: string;
  /** `ws://127.0.0.1:PORT/ws` */
  wsUrl: string;
  /** `http://127.0.0.1:METRICS_PORT`: Prometheus metrics at `/metrics` (the server's own port does not serve them). */
  metricsUrl: string;
  pid: number;
  storage: string;
  /** Set when the process exited before `stop()` was called. */
  readonly crashed: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** The exit code once the process has exited (null while running, or when a signal ended it). */
  readonly exitCode: number | null;
  logs(): ServerLogSummary;
  /** The inspector's WebSocket URL when started with `--inspect=127.0.0.1:0`, else null. */
  readonly inspectorUrl: string | null;
  /** SIGTERM, SIGKILL after `graceMs`; then removes the scratch data directory or database. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const MAX_SAMPLES = 20;
const UNLIMITED = '1000000:1000000';

/**
 * The server's abuse limits are per user and per address, and every benchmark
 * client comes from one address and sends far faster than a person: they are
 * raised so that the benchmark measures capacity, not the limiter.
 */
export const BENCH_SERVER_ENV: Readonly<Record<string, string>> = {
  RATE_LIMIT_MESSAGES: UNLIMITED,
  RATE_LIMIT_FRAMES: UNLIMITED,
  RATE_LIMIT_REST: UNLIMITED,
  RATE_LIMIT_PUBLIC: UNLIMITED,
  // The storm scenario resumes every client by `sync` at once.
  RATE_LIMIT_SYNC: UNLIMITED,
  MAX_UNAUTHENTICATED_PER_IP: '1000',
};
const READY_MSG = 'Parley is running at ';

/**
 * The server as the benchmark runs it: its TypeScript through tsx (default), or
 * with `BENCH_SERVER=dist` the compiled server of `npm run build`, as production
 * runs it. Either way on the Node.js that runs the benchmark.
 */
function serverEntry(): string[] {
  const which = process.env.BENCH_SERVER ?? 'source';
  if (which === 'dist') return ['packages/server/dist/main.js'];
  if (which === 'source') return ['--conditions=@parley/source', '--import', 'tsx', 'packages/server/src/main.ts'];
  throw new Error(`BENCH_SERVER must be source or dist, not ${which}`);
}

/**
 * Starts the server (see {@link serverEntry}) on a free port with a
 * fresh, empty store: a temporary PGlite data directory, or a scratch
 * PostgreSQL database created for the run and dropped afterwards.
 */
export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  let dataDir: string | null = null;
  let scratch: ScratchDatabase | null = null;
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: undefined,
    DATA_DIR: undefined,
    ...BENCH_SERVER_ENV,
    // Metrics are served on their own listener only: any free port on loopback.
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    ...options.env,
  };
  if (options.databaseUrl) {
    env.DATABASE_URL = options.databaseUrl;
  } else if (options.db === 'postgres') {
    scratch = await createScratchDatabase(options.pgUrl);
    env.DATABASE_URL = scratch.url;
  } else {
    dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-'));
    env.DATA_DIR = dataDir;
  }
  const cleanupStore = async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (scratch) await scratch.drop();
    dataDir = null;
    scratch = null;
  };

  const argv = [...(options.nodeArgs ?? []), ...serverEntry()];
  const [command, args] = options.pinCore === undefined ? [process.execPath, argv] : ['taskset', ['-c', String(options.pinCore), process.execPath, ...argv]];
  const child = spawn(command, args, {
    cwd: options.root ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Last resort if the benchmark itself dies without running stop().
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const summary: ServerLogSummary = { warnings: 0, errors: 0, samples: [], tail: [] };
  const remember = (line: string) => {
    summary.samples.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
    if (summary.samples.length > MAX_SAMPLES) summary.samples.shift();
  };
  let crashed: ServerProcess['crashed'] = null;
  let inspectorUrl: string | null = null;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      if (!stopping) crashed = { code, signal };
      resolve();
    });
    child.once('error', () => resolve()); // could not be spawned: there will be no 'exit'
  });

  const ready = new Promise<{ url: string; metrics: string; storage: string }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      summary.tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
      if (summary.tail.length > 10) summary.tail.shift();
      let entry: { level?: number; msg?: string; url?: string; metrics?: string; storage?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        remember(`[stdout] ${line}`);
        return;
      }
      if ((entry.level ?? 0) >= 50) summary.errors++;
      else if ((entry.level ?? 0) >= 40) summary.warnings++;
      if ((entry.level ?? 0) >= 40) remember(line);
      if (entry.msg?.startsWith(READY_MSG) && entry.url) resolve({ url: entry.url, metrics: entry.metrics ?? '', storage: entry.storage ?? '' });
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.includes('ExperimentalWarning')) return;
      const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(line);
      if (inspector) {
        inspectorUrl = inspector[1]!;
        return;
      }
      if (line.startsWith('For help, see: https://nodejs.org/en/docs/inspector')) return;
      remember(`[stderr] ${line}`);
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`server exited before it was ready:\n${summary.samples.join('\n')}`)));
  });

  const stop = async (graceMs = 5000) => {
    if (!stopping) {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
    }
    await exited;
    await cleanupStore();
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('server did not report ready in time')),
        options.startTimeoutMs ?? 60_000,
      );
    });
    const { url, metrics, storage } = await Promise.race([ready, timeout]);
    // The server reports `localhost`; connect to the address it was told to bind.
    const port = new URL(url).port;
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      wsUrl: `ws://127.0.0.1:${port}/ws`,
      metricsUrl: metrics,
      pid: child.pid!,
      storage,
      get crashed() {
        return crashed;
      },
      get exitCode() {
        return child.exitCode;
      },
      get inspectorUrl() {
        return inspectorUrl;
      },
      logs: () => ({ ...summary, samples: [...summary.samples], tail: [...summary.tail] }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
