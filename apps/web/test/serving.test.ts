import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase, type TestDatabase } from '../../../packages/server/test/support/databases.ts';
import { startServer, type TestServer } from '../../../packages/server/test/support/harness.ts';

const INDEX = '<!doctype html><title>Parley test page</title><script type="module" src="/assets/app-4f2a9c.js"></script>';

/**
 * The server serving a built web client (registerWebClient): a stand-in build
 * in a temporary directory is enough, so this runs without a browser.
 */
describe('the server serves the web client', () => {
  let database: TestDatabase;
  let server: TestServer;
  let root: string;
  const get = (path: string, accept = '*/*', method = 'GET') => fetch(server.url + path, { method, headers: { accept } });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'parley-webroot-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), INDEX);
    writeFileSync(join(root, 'assets', 'app-4f2a9c.js'), 'console.log("app")');
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(root, '.env'), 'SECRET=1');
    database = await pgliteDatabase();
    server = await startServer(database.db, { env: { WEB_ROOT: root } });
  });

  afterAll(async () => {
    await server?.close();
    await database?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers / with index.html, revalidated on every load, under the CSP', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toBe(INDEX);
    expect((await get('/', '*/*', 'HEAD')).status).toBe(200);
  });

  it('serves hashed assets with a year-long immutable cache, other files revalidated', async () => {
    const js = await get('/assets/app-4f2a9c.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log("app")');
    const icon = await get('/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers page navigations to app paths with index.html (deep links), and anything else with 404', async () => {
    const deep = await get('/c/0b6f5a9e-3f8e-4a51-9e42-1c2d3e4f5a6b', 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(INDEX);
    const missingAsset = await get('/assets/app-000000.js');
    expect(missingAsset.status).toBe(404);
    expect(await missingAsset.json()).toEqual({ error: { code: 'not_found', message: 'no such endpoint' } });
  });

  it('never answers API, socket, health or metrics paths with the page', async () => {
    for (const path of ['/api/v1/nothing-here', '/api', '/ws', '/metrics/x', '/healthz/x']) {
      const res = await get(path, 'text/html');
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toMatchObject({ error: { code: 'not_found' } });
    }
    expect((await get('/api/v1/users/me', 'text/html')).status).toBe(401);
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
  });

  it('serves nothing outside the build, and no dotfiles', async () => {
    for (const path of ['/.env', '/%2e%2e/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await get(path);
      expect(res.status, path).not.toBe(200);
      expect(await res.text(), path).not.toContain('SECRET');
    }
    // A browser navigating there gets the app, not the file.
    expect(await (await get('/.env', 'text/html')).text()).toBe(INDEX);
  });

  it('serves no page when WEB_ROOT names a directory that does not exist', async () => {
    const other = await startServer(database.db, { env: { WEB_ROOT: join(root, 'missing') } });
    try {
      const res = await fetch(other.url + '/', { headers: { accept: 'text/html' } });
      expect(res.status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
