import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, which } from '../support/processes.ts';

const NGINX = process.env.NGINX_BIN ?? which('nginx') ?? which('/usr/sbin/nginx');
const OPENSSL = which('openssl');

const suite = () => {
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
