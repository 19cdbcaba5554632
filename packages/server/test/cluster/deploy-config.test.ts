import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, startNginx, startRecordingUpstream, which } from '../support/processes.ts';

const NGINX = process.env.NGINX_BIN ?? which('nginx') ?? which('/usr/sbin/nginx');
const OPENSSL = which('openssl');

/** The status line nginx answers to a raw request target (fetch would normalise `//metrics` and `%6D`). */
function statusOf(url: string, target: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let answer = '';
    socket.on('data', (c) => (answer += c.toString()));
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

const suite = () => {
  it('deploy/nginx/parley-proxy.conf never proxies /metrics, however the path is spelled', async () => {
    const upstream = await startRecordingUpstream();
    const nginx = await startNginx(NGINX!, [upstream.port]);
    try {
      upstream.seen.length = 0; // startNginx's own /healthz probes
      for (const target of ['/metrics', '/metrics?format=text', '//metrics', '/%6Detrics', '/metrics/', '/metrics/x']) {
        expect([target, await statusOf(nginx.url, target)]).toEqual([target, 404]);
      }
      expect(await statusOf(nginx.url, '/index.html')).toBe(200); // the rest still reaches the upstream
      expect(upstream.seen.map((r) => r.path)).toEqual(['/index.html']);
    } finally {
      await nginx.stop();
      await upstream.close();
    }
  });


  it('deploy/nginx/nginx.conf passes `nginx -t` (with a throwaway certificate in place of the real one)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-nginx-t-'));
    try {
      execFileSync(OPENSSL!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-keyout', join(dir, 'privkey.pem'), '-out', join(dir, 'fullchain.pem')], { stdio: 'ignore' });
      const conf = readFileSync(join(REPO_ROOT, 'deploy/nginx/nginx.conf'), 'utf8')
        .replaceAll('/etc/ssl/parley/', `${dir}/`)
        .replace('worker_processes auto;', `worker_processes auto;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;`);
      writeFileSync(join(dir, 'nginx.conf'), conf);
      copyFileSync(join(REPO_ROOT, 'deploy/nginx/parley-proxy.conf'), join(dir, 'parley-proxy.conf'));
      const out = execFileSync(NGINX!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toBe(''); // nginx -t reports on stderr and exits non-zero on error (which throws)
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
};

if (NGINX && OPENSSL) describe('deploy configuration', suite);
else describe.skip('deploy configuration (skipped: needs nginx and openssl on PATH)', suite);
