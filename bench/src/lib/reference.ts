import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './paths.ts';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.ts';

const SERVER = fileURLToPath(new URL('./reference-direct-server.ts', import.meta.url));

export interface ReferenceServer {
  wsUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the bare `ws` + `pg` reference server (reference-direct-server.ts) on a scratch database of `pgUrl`. */
export async function startReferenceDirect(pgUrl: string): Promise<ReferenceServer> {
  const scratch: ScratchDatabase = await createScratchDatabase(pgUrl);
  let child: ChildProcess | null = null;
  const stop = async () => {
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
        c.once('exit', () => (clearTimeout(timer), resolve()));
        if (c.connected) c.disconnect();
        else c.kill('SIGTERM');
      });
    }
    await scratch.drop().catch(() => {});
  };
  try {
    const c = fork(SERVER, [], { cwd: REPO_ROOT, env: { ...process.env, REF_DATABASE_URL: scratch.url }, execArgv: ['--import', 'tsx'] });
    child = c;
    process.once('exit', () => c.kill('SIGKILL'));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('reference server did not start')), 30_000);
      c.once('message', (m: { port: number }) => (clearTimeout(timer), resolve(m.port)));
      c.once('exit', (code) => reject(new Error(`reference server exited (${code})`)));
    });
    return { wsUrl: `ws://127.0.0.1:${port}/`, pid: c.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
