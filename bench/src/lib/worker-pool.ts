import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram } from './histogram.ts';
import { REPO_ROOT } from './paths.ts';
import type { OpenReply, SocketSpec, WorkerMode, WorkerReply, WorkerRequest, WorkerStats } from './worker-protocol.ts';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

/** Source address of the i-th load socket: 127.0.0.2, 127.0.0.3, … so no address runs out of ephemeral ports (~28k each). */
export function sourceAddress(i: number, addresses: number): string {
  return `127.0.0.${2 + (i % addresses)}`;
}

/**
 * Load-generator processes (load-worker.ts), each holding a share of the
 * sockets: one process may hold at most 20,000 open files, and one Node.js
 * event loop would be the bottleneck long before that.
 */
export class WorkerPool {
  private readonly workers: ChildProcess[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const child = fork(WORKER, [], { cwd: REPO_ROOT, execArgv: ['--conditions=@parley/source', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('message', (msg: WorkerReply) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new Error(`load worker ${child.pid}: ${msg.error}`));
      });
      child.on('exit', (code) => {
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(new Error(`load worker ${child.pid} exited (${code})`));
        }
      });
      this.workers.push(child);
    }
    process.once('exit', () => this.workers.forEach((w) => w.kill('SIGKILL')));
  }

  get size(): number {
    return this.workers.length;
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid!).filter(Boolean);
  }

  private call<T>(i: number, req: WorkerRequest, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`load worker ${i}: no answer to ${req.op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.workers[i]!.send({ ...req, id });
    });
  }

  /** Socket i goes to worker i mod W; every worker opens its share with `concurrency` handshakes in flight. */
  async open(mode: WorkerMode, specs: SocketSpec[], concurrency: number, timeoutMs: number): Promise<{ replies: OpenReply[]; connectMs: Histogram }> {
    const shares = this.workers.map((_, w) => specs.filter((_, i) => i % this.workers.length === w));
    const replies = await Promise.all(shares.map((share, w) => this.call<OpenReply>(w, { op: 'open', mode, specs: share, concurrency, timeoutMs }, 60_000 + share.length * 60)));
    const connectMs = new Histogram();
    for (const r of replies) connectMs.merge(r.connectMs);
    return { replies, connectMs };
  }

  all<T>(req: WorkerRequest, timeoutMs?: number): Promise<T[]> {
    return Promise.all(this.workers.map((_, i) => this.call<T>(i, req, timeoutMs)));
  }

  stats(): Promise<WorkerStats[]> {
    return this.all<WorkerStats>({ op: 'stats' });
  }

  /** Closes every socket, then ends the processes (SIGKILL after 5 s). */
  async stop(): Promise<void> {
    await this.all({ op: 'close' }, 30_000).catch(() => {});
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exitCode !== null || w.signalCode !== null) return resolve();
            const timer = setTimeout(() => w.kill('SIGKILL'), 5000);
            w.once('exit', () => (clearTimeout(timer), resolve()));
            w.disconnect();
          }),
      ),
    );
  }
}

/** Sums the workers' delivery counters and merges their latency histograms. */
export function mergeStats(stats: WorkerStats[]) {
  const latency = new Histogram();
  for (const s of stats) latency.merge(s.latency);
  const firsts = stats.map((s) => s.firstDeliveryAt).filter((v) => v > 0);
  return {
    open: stats.reduce((n, s) => n + s.open, 0),
    closedByPeer: stats.reduce((n, s) => n + s.closedByPeer, 0),
    deliveries: stats.reduce((n, s) => n + s.deliveries, 0),
    duplicates: stats.reduce((n, s) => n + s.duplicates, 0),
    firstDeliveryAt: firsts.length ? Math.min(...firsts) : 0,
    lastDeliveryAt: Math.max(0, ...stats.map((s) => s.lastDeliveryAt)),
    latency,
    rssBytes: stats.reduce((n, s) => n + s.rssBytes, 0),
    heapUsedBytes: stats.reduce((n, s) => n + s.heapUsedBytes, 0),
  };
}
