import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase, type TestDatabase } from './support/databases.ts';
import { api, register, startServer, type TestServer } from './support/harness.ts';
import { freePort, which } from './support/processes.ts';

const TURNSERVER = process.env.TURNSERVER_BIN ?? which('turnserver');
const UCLIENT = which('turnutils_uclient');

/** Allocates a relay on coturn with these credentials (coturn's own test client); true when it worked. */
function allocate(port: number, username: string, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(UCLIENT!, ['-u', username, '-w', password, '-p', String(port), '-e', '127.0.0.1', '-n', '2', '-m', '1', '-y', '127.0.0.1'], { timeout: 10_000 }, (err) =>
      resolve(!err),
    );
  });
}

/**
 * Parley's TURN credentials against a real coturn (Debian's package) on
 * loopback, configured like deploy/coturn/turnserver.conf (use-auth-secret),
 * with loopback peers allowed for the test.
 */
const suite = () => {
  const secret = `test-${crypto.randomUUID()}`;
  let dir: string;
  let turn: ChildProcess;
  let port: number;
  let database: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-turn-'));
    port = await freePort();
    const minPort = 40_000 + Math.floor(Math.random() * 20_000);
    writeFileSync(
      join(dir, 'turnserver.conf'),
      [`listening-ip=127.0.0.1`, `relay-ip=127.0.0.1`, `listening-port=${port}`, `min-port=${minPort}`, `max-port=${minPort + 40}`,
        'use-auth-secret', `static-auth-secret=${secret}`, 'realm=parley.test', 'no-tls', 'no-dtls', 'no-cli', 'fingerprint',
        'allow-loopback-peers', `pidfile=${join(dir, 'turn.pid')}`, 'log-file=stdout', 'simple-log'].join('\n'),
    );
    turn = spawn(TURNSERVER!, ['-c', join(dir, 'turnserver.conf')], { stdio: 'ignore' });
    database = await pgliteDatabase();
    server = await startServer(database.db, {
      env: { TURN_URIS: `stun:127.0.0.1:${port},turn:127.0.0.1:${port}?transport=udp`, TURN_SECRET: secret, TURN_TTL: '600' },
    });
    await new Promise((r) => setTimeout(r, 500)); // coturn binds within a few ms; the first allocation retries anyway
  });
  afterAll(async () => {
    turn?.kill('SIGKILL');
    await server?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hands out credentials coturn accepts; forged or expired ones get no relay', async () => {
    const user = await register(server.url);
    expect((await api(server.url, 'GET', '/api/v1/calls/ice-servers')).status).toBe(401);
    const res = await api(server.url, 'GET', '/api/v1/calls/ice-servers', { token: user.token });
    expect(res.status).toBe(200);
    const relay = res.body.ice_servers.find((s: { username?: string }) => s.username);
    expect(relay.username).toMatch(new RegExp(`^\\d+:${user.id}$`));

    expect(await allocate(port, relay.username, relay.credential)).toBe(true);
    expect(await allocate(port, relay.username, 'forged-password')).toBe(false);
    const [expiry] = relay.username.split(':');
    expect(await allocate(port, `${Number(expiry) + 60}:${user.id}`, relay.credential)).toBe(false); // tampered expiry
    const { createHmac } = await import('node:crypto');
    const stale = `${Math.floor(Date.now() / 1000) - 10}:${user.id}`;
    expect(await allocate(port, stale, createHmac('sha1', secret).update(stale).digest('base64'))).toBe(false);
  });
};

if (TURNSERVER && UCLIENT) describe('TURN with a real coturn', suite);
else describe.skip('TURN with a real coturn (skipped: needs coturn: turnserver and turnutils_uclient on PATH)', suite);
