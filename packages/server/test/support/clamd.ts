import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, which } from './processes.ts';

/**
 * A private, real clamd for tests. There is no signature download here:
 * the test writes its own database, one MD5 signature (`.hdb`) of the EICAR
 * test file, so clamd reports exactly that file as infected and everything
 * else as clean. It runs in the foreground on a loopback TCP port with its
 * own config, database and log in a temporary folder; `stop()` and `start()`
 * let a test take the scanner away and bring it back on the same port.
 * The clamd binary comes from Debian's clamav-daemon (`.ci/run` installs it);
 * CLAMD_BIN overrides where it is.
 */
export const CLAMD_BIN = process.env.CLAMD_BIN ?? which('clamd') ?? (existsSync('/usr/sbin/clamd') ? '/usr/sbin/clamd' : null);

/** The standard anti-malware test file (https://www.eicar.org): harmless, detected by every scanner by agreement. */
export const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
/** The name in the test database (clamd reports it with `.UNOFFICIAL` appended, as for any third-party signature). */
export const EICAR_SIGNATURE = 'Parley.Test.EICAR';

export interface TestClamd {
  host: string;
  port: number;
  /** Environment that points a Parley at it. */
  env: Record<string, string>;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startClamd(): Promise<TestClamd> {
  if (!CLAMD_BIN) throw new Error('clamd is not installed (apt-get install clamav-daemon)');
  const dir = mkdtempSync(join(tmpdir(), 'parley-clamd-'));
  const db = join(dir, 'db');
  mkdirSync(db);
  const md5 = createHash('md5').update(EICAR).digest('hex');
  writeFileSync(join(db, 'parley-test.hdb'), `${md5}:${EICAR.length}:${EICAR_SIGNATURE}\n`);
  const port = await freePort();
  writeFileSync(
    join(dir, 'clamd.conf'),
    [
      'Foreground yes',
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `DatabaseDirectory ${db}`,
      `LogFile ${join(dir, 'clamd.log')}`,
      `TemporaryDirectory ${dir}`,
      'StreamMaxLength 300M',
      'MaxScanSize 300M',
      'MaxFileSize 300M',
      'MaxThreads 4',
      'Bytecode no',
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | null = null;
  const clamd: TestClamd = {
    host: '127.0.0.1',
    port,
    env: { CLAMD_HOST: '127.0.0.1', CLAMD_PORT: String(port) },
    async start() {
      proc = spawn(CLAMD_BIN!, [`--config-file=${join(dir, 'clamd.conf')}`], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      proc.stderr!.on('data', (d) => (stderr += String(d)));
      const deadline = Date.now() + 30_000;
      while (!(await ping(port))) {
        if (proc.exitCode !== null) throw new Error(`clamd exited (${proc.exitCode}): ${stderr}`);
        if (Date.now() > deadline) throw new Error(`clamd did not answer PING within 30s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    },
    async close() {
      await clamd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await clamd.start();
  return clamd;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
    socket.on('connect', () => socket.write('zPING\0'));
    socket.on('data', (d) => {
      reply += String(d);
      if (reply.includes('\0')) {
        socket.destroy();
        resolve(reply.startsWith('PONG'));
      }
    });
  });
}
