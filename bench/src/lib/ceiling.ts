import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './paths.ts';

const SERVER = fileURLToPath(new URL('./ceiling-server.ts', import.meta.url));

export interface CeilingCluster {
  urls: string[];
  pids: number[];
  stop(): Promise<void>;
}

/** Starts N bare-ws broadcast processes sharing one Redis channel (or none when `redisUrl` is null). */
export async function startCeiling(instances: number, redisUrl: string | null, cork = true): Promise<CeilingCluster> {
  const channel = `parley_bench_ceiling_${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
            c.once('exit', () => (clearTimeout(timer), resolve()));
            if (c.connected) c.disconnect();
            else c.kill('SIGTERM');
          }),
      ),
    );
  };
  process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  try {
    const ports = await Promise.all(
      Array.from({ length: instances }, () => {
        const env = { ...process.env, CEILING_CHANNEL: channel, CEILING_CORK: cork ? 'yes' : 'no', ...(redisUrl ? { CEILING_REDIS_URL: redisUrl } : {}) };
        const child = fork(SERVER, [], { cwd: REPO_ROOT, env, execArgv: ['--conditions=@parley/source', '--import', 'tsx'] });
        children.push(child);
        return new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('ceiling server did not start')), 30_000);
          child.once('message', (m: { port: number }) => (clearTimeout(timer), resolve(m.port)));
          child.once('exit', (code) => reject(new Error(`ceiling server exited (${code})`)));
        });
      }),
    );
    return { urls: ports.map((p) => `ws://127.0.0.1:${p}/`), pids: children.map((c) => c.pid!), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
