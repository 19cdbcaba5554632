import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { connect, createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENEROUS_LIMITS } from './harness.ts';

/**
 * Real processes for cluster tests: Parley instances started as `npm start`
 * starts them, nginx in front of them, and a private redis-server that a test
 * may stop and start.
 */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));

export function which(binary: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface Instance {
  url: string;
  /** Base URL of the metrics listener (`/metrics` there) when started with METRICS_PORT, else null. */
  metricsUrl: string | null;
  wsUrl: string;
  port: number;
  logs: string[];
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** How to run an instance: by default the TypeScript sources in this repository, as `npm run dev` does. */
export interface InstanceCommand {
  cwd: string;
  args: string[];
  /** The whole environment (PORT, HOST, LOG_LEVEL and `env` are added); default this process's environment. */
  baseEnv?: NodeJS.ProcessEnv;
}
const FROM_SOURCES: InstanceCommand = {
  cwd: REPO_ROOT,
  args: ['--conditions=@parley/source', '--import', 'tsx', 'packages/server/src/main.ts'],
};

/** Starts a Parley instance in its own process and waits for its "running at" line. */
export async function spawnInstance(
  env: Record<string, string>,
  timeoutMs = 60_000,
  command: InstanceCommand = FROM_SOURCES,
): Promise<Instance> {
  const proc = spawn(process.execPath, command.args, {
    cwd: command.cwd,
    env: { ...(command.baseEnv ?? process.env), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...GENEROUS_LIMITS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  );
  let metricsUrl: string | null = null;
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance did not start:\n${logs.join('\n')}`)), timeoutMs);
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        const match = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (match && line.includes('Parley is running')) {
          metricsUrl = /"metrics":"(http:\/\/[^"]+)"/.exec(line)?.[1] ?? null;
          clearTimeout(timer);
          resolveUrl(match[1]!);
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${code} before starting:\n${logs.join('\n')}`));
    });
  });
  const port = Number(new URL(url).port);
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    port,
    metricsUrl,
    logs,
    proc,
    exited,
    kill: (signal = 'SIGTERM') => void proc.kill(signal),
  };
}

export interface Nginx {
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/**
 * nginx in front of the given ports, using deploy/nginx/parley-proxy.conf
 * unchanged. `maxFails` is the upstream servers' max_fails (0 as shipped;
 * bench:rolling can compare 1, with fail_timeout=3s).
 */
export async function startNginx(binary: string, upstreamPorts: number[], options: { maxFails?: number } = {}): Promise<Nginx> {
  const maxFails = options.maxFails ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'parley-nginx-'));
  // Workers run as an unprivileged user when the master is root: they must write the temp paths.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const conf = `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # max_fails: 0 as deploy/nginx/nginx.conf ships it (which says why), unless the caller compares.
  upstream parley {
    least_conn;
${upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=${maxFails}${maxFails ? ' fail_timeout=3s' : ''};`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    include ${join(REPO_ROOT, 'deploy/nginx/parley-proxy.conf')};
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const proc = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr: string[] = [];
  proc.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`nginx did not start: ${stderr.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A redis-server of the test's own, on a free port, that it may kill and restart. */
export async function startPrivateRedis(binary: string): Promise<PrivateRedis> {
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (Date.now() > deadline) throw new Error('private redis did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((r) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      r(true);
    });
    socket.once('error', () => r(false));
  });
}

export interface RecordingUpstream {
  port: number;
  /** Path and X-Forwarded-For of every request (and upgrade) that reached it. */
  seen: Array<{ path: string; forwardedFor: string | undefined; upgrade: boolean }>;
  close(): Promise<void>;
}

/**
 * An upstream for nginx tests that records what nginx forwarded: it answers
 * every request 200 and every upgrade 400, so a test sees what the proxy
 * passes on without a Parley behind it.
 */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const seen: RecordingUpstream['seen'] = [];
  const record = (req: IncomingMessage, upgrade: boolean) => {
    const header = req.headers['x-forwarded-for'];
    seen.push({ path: req.url ?? '', forwardedFor: Array.isArray(header) ? header.join(', ') : header, upgrade });
  };
  const server = createHttpServer((req, res) => {
    record(req, false);
    res.end('ok');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    record(req, true);
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Where Debian keeps PostgreSQL's server binaries (initdb and pg_ctl are not on PATH there). */
export function postgresBinary(name: 'initdb' | 'pg_ctl'): string | null {
  const onPath = which(name);
  if (onPath) return onPath;
  for (const version of ['17', '16', '15', '14', '13']) {
    const candidate = `/usr/lib/postgresql/${version}/bin/${name}`;
    if (which(candidate)) return candidate;
  }
  return null;
}

export interface PrivatePostgres {
  /** Connection string of its `postgres` database (trust authentication, loopback only). */
  url: string;
  /** Fast shutdown: open connections are terminated, as when PostgreSQL restarts. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temp folder, a free
 * port, its socket in that folder) that it may stop and start; the shared
 * server on 5432 is never touched. PostgreSQL refuses to run as root, so as
 * root it runs as the `postgres` user.
 */
export async function startPrivatePostgres(initdb: string, pgCtl: string): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  const run = (binary: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', binary, ...args], { stdio: 'ignore' })
      : execFileSync(binary, args, { stdio: 'ignore' });
  run(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const start = async () => {
    run(pgCtl, ['start', '-w', '-D', data, '-l', join(dir, 'log'), '-o', options]);
  };
  const stop = async () => {
    run(pgCtl, ['stop', '-w', '-m', 'fast', '-D', data]);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      try {
        await stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
