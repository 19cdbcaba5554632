import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { pgliteDatabase, type TestDatabase } from '../support/databases.ts';
import { startServer, type TestServer } from '../support/harness.ts';
import { startNginx, startRecordingUpstream, which, type Nginx, type RecordingUpstream } from '../support/processes.ts';
import { eventually } from '../support/eventually.ts';

const NGINX = process.env.NGINX_BIN ?? which('nginx') ?? (which('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null);

const FORGED = '203.0.113.9';

/** What a client behind the shipped nginx cannot change: the address Parley sees (issue #12, finding 3). */
const suite = () => {
  let recorder: RecordingUpstream;
  let recorderNginx: Nginx;
  let database: TestDatabase;
  let parley: TestServer;
  let parleyNginx: Nginx;

  beforeAll(async () => {
    recorder = await startRecordingUpstream();
    recorderNginx = await startNginx(NGINX!, [recorder.port]);
    recorder.seen.length = 0; // startNginx's own /healthz probes
    database = await pgliteDatabase();
    parley = await startServer(database.db, { env: { TRUST_PROXY_HOPS: '1', RATE_LIMIT_LOGIN_IP: '0.01:2' } });
    parleyNginx = await startNginx(NGINX!, [Number(new URL(parley.url).port)]);
  }, 60_000);
  afterAll(async () => {
    await parleyNginx?.stop();
    await recorderNginx?.stop();
    await parley?.close();
    await recorder?.close();
    await database?.drop();
  });

  it('deploy/nginx/parley-proxy.conf overwrites a client\'s X-Forwarded-For on REST, WebSocket and other paths', async () => {
    const headers = { 'x-forwarded-for': FORGED };
    await fetch(`${recorderNginx.url}/api/v1/auth/login`, { method: 'POST', headers });
    await fetch(`${recorderNginx.url}/`, { headers });
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(recorderNginx.wsUrl, { headers });
      ws.once('unexpected-response', () => resolve());
      ws.once('error', () => resolve());
    });
    await eventually(() => expect(recorder.seen.map((r) => [r.path, r.upgrade])).toEqual([['/api/v1/auth/login', false], ['/', false], ['/ws', true]]));
    expect(recorder.seen.map((r) => r.forwardedFor)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  it('through nginx with TRUST_PROXY_HOPS=1, a forged header changes neither the address Parley sees nor its login bucket', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${parleyNginx.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i}` },
        body: JSON.stringify({ username: `nobody${i}`, password: 'guess guess' }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
    const audit = parley.logs.filter((l) => l.includes('"audit":true')).map((l) => JSON.parse(l) as { event: string; ip?: string });
    expect(audit.filter((e) => e.event === 'login_failed').map((e) => e.ip)).toEqual(['127.0.0.1', '127.0.0.1']);
    // The WebSocket upgrade through nginx: a bad first frame is audited with the same address.
    const ws = new WebSocket(parleyNginx.wsUrl, ['parley.v1'], { headers: { 'x-forwarded-for': FORGED } });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'auth', token: 'forged' }));
    await new Promise((r) => ws.once('close', r));
    await eventually(() => {
      const rejected = parley.logs.map((l) => JSON.parse(l) as { event?: string; ip?: string }).filter((e) => e.event === 'handshake_rejected');
      expect(rejected.map((e) => e.ip)).toEqual(['127.0.0.1']);
    });
  });
};

if (NGINX) describe('client address through the shipped nginx', suite);
else describe.skip('client address through the shipped nginx (skipped: needs nginx, NGINX_BIN or on PATH)', suite);
