import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRolling, type RollingFleet } from '../../../../bench/src/lib/rolling-run.ts';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/databases.ts';
import { TEST_REDIS_URL, testPrefix } from '../support/redis.ts';
import { freePort, spawnInstance, startNginx, which, type Instance, type Nginx } from '../support/processes.ts';

const NGINX = process.env.NGINX_BIN ?? which('nginx') ?? (which('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null);
const missing = [!TEST_DATABASE_URL && 'TEST_DATABASE_URL (PostgreSQL)', !TEST_REDIS_URL && 'TEST_REDIS_URL (Redis)', !NGINX && 'nginx (NGINX_BIN or on PATH)'].filter(Boolean);

/**
 * A small `npm run bench:rolling`: three real instances on PostgreSQL and
 * Redis behind the shipped nginx locations, 20 SDK clients chatting in groups
 * and 1:1, every instance SIGTERMed and started again in turn while they
 * chat. The SDK does what an app's does (reconnect through nginx, resend
 * from its outbox, resume by cursor); nothing here helps it.
 */
const suite = () => {
  let database: TestDatabase;
  const instances: Instance[] = [];
  let nginx: Nginx;
  let env: Record<string, string>;
  let ports: number[];

  beforeAll(async () => {
    database = await postgresDatabase({ migrate: false });
    env = { DATABASE_URL: database.url!, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: testPrefix(), METRICS_PORT: '0' };
    ports = await Promise.all([0, 1, 2].map(() => freePort()));
    instances[0] = await spawnInstance({ ...env, PORT: String(ports[0]), INSTANCE_ID: 'node-0' });
    await Promise.all([1, 2].map(async (i) => (instances[i] = await spawnInstance({ ...env, PORT: String(ports[i]), INSTANCE_ID: `node-${i}` }))));
    nginx = await startNginx(NGINX!, ports);
  }, 180_000);
  afterAll(async () => {
    await nginx?.stop();
    for (const i of instances) i.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.exited));
    await database?.drop();
  });

  it('loses and doubles nothing: every acked message reaches every recipient, in the history\'s order, across three SIGTERM restarts', async () => {
    const fleet: RollingFleet = {
      url: nginx.url,
      size: 3,
      async restart(i) {
        const t0 = performance.now();
        instances[i]!.kill('SIGTERM');
        const { code } = await instances[i]!.exited;
        const t1 = performance.now();
        instances[i] = await spawnInstance({ ...env, PORT: String(ports[i]), INSTANCE_ID: `node-${i}` });
        return { exitCode: code, drainMs: t1 - t0, startMs: performance.now() - t1 };
      },
    };
    const r = await runRolling(fleet, { clients: 20, groupUsers: 10, groupSize: 5, rate: 10, steadyMs: 2_000, gapMs: 1_000, afterMs: 2_000, waitMs: 30_000 });
    const detail = JSON.stringify({ ...r, latency: undefined });

    // The restarts happened under traffic: each instance drained with 1012 and exited cleanly.
    expect(r.restarts.map((x) => x.exitCode), detail).toEqual([0, 0, 0]);
    expect(r.closeCodes['1012'], detail).toBeGreaterThan(0);
    expect(r.sentByPhase.restarts, detail).toBeGreaterThan(0);
    // Every send was acked once; every acked message reached every other member's app once.
    expect(r.acked, detail).toBe(r.sent);
    expect([r.failed, r.pending], detail).toEqual([0, 0]);
    expect(r.deliveries, detail).toBeGreaterThan(r.sent);
    expect(r.lost, detail).toBe(0);
    expect(r.doubled, detail).toBe(0);
    // Each member's log is the server's history: dense, the same message at the same seq.
    expect(r.outOfOrder, detail).toBe(0);
  }, 240_000);
};

if (missing.length === 0) describe('rolling restart: three processes behind nginx, SDK clients chatting', suite);
else describe.skip(`rolling restart (skipped: needs ${missing.join(', ')})`, suite);
