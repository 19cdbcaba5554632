import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, defaultClientConditions } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase, type TestDatabase } from '../../../server/test/support/databases.ts';
import { createConversation, register, startServer, type TestServer, type TestUser } from '../../../server/test/support/harness.ts';
import { freePort, which } from '../../../server/test/support/processes.ts';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const TURNSERVER = process.env.TURNSERVER_BIN ?? which('turnserver');
const SDK_ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/**
 * Real calls between two Chromium pages through the real server, with
 * Chromium's fake camera and microphone. The pages load the SDK bundled for
 * the browser; they are served on the server's own origin by Playwright's
 * request routing, so the SDK talks to the API same-origin. (A routed page
 * does not count as loaded from loopback, so Chromium's local-network-access
 * check, which would block its socket to 127.0.0.1, is turned off.)
 */
const suite = () => {
  let dir: string;
  let database: TestDatabase;
  let server: TestServer;
  let browser: Browser;
  let turn: ChildProcess | null = null;
  const secret = `turn-${crypto.randomUUID()}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-sdk-browser-'));
    await build({
      configFile: false,
      logLevel: 'silent',
      // The workspace's TypeScript, as the tests use it: no `npm run build` needed first.
      resolve: { conditions: ['@parley/source', ...defaultClientConditions] },
      build: { outDir: dir, emptyOutDir: false, minify: false, lib: { entry: SDK_ENTRY, formats: ['iife'], name: 'Parley', fileName: () => 'parley.js' } },
    });
    const turnPort = await freePort();
    if (TURNSERVER) {
      const minPort = 40_000 + Math.floor(Math.random() * 20_000);
      writeFileSync(join(dir, 'turn.conf'), [`listening-ip=127.0.0.1`, `relay-ip=127.0.0.1`, `listening-port=${turnPort}`, `min-port=${minPort}`,
        `max-port=${minPort + 40}`, 'use-auth-secret', `static-auth-secret=${secret}`, 'realm=parley.test', 'no-tls', 'no-dtls', 'no-cli',
        'fingerprint', 'allow-loopback-peers', 'log-file=stdout', 'simple-log'].join('\n'));
      turn = spawn(TURNSERVER, ['-c', join(dir, 'turn.conf')], { stdio: 'ignore' });
    }
    database = await pgliteDatabase();
    server = await startServer(database.db, {
      env: TURNSERVER ? { TURN_URIS: `turn:127.0.0.1:${turnPort}?transport=udp`, TURN_SECRET: secret } : {},
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--no-first-run', '--disable-component-update',
        '--disable-sync', '--disable-features=LocalNetworkAccessChecks', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    turn?.kill('SIGKILL');
    await server?.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A page on the server's origin with the SDK loaded and `user` logged in and connected. */
  async function openAs(user: TestUser, rtc: Record<string, unknown> = {}): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (process.env.DEBUG_BROWSER) page.on('console', (m) => console.log(user.username, m.type(), m.text()));
    if (process.env.DEBUG_BROWSER) page.on('pageerror', (e) => console.log(user.username, 'pageerror', e.message));
    const bundle = readFileSync(join(dir, 'parley.js'), 'utf8');
    await page.route(`${server.url}/sdk-test/**`, (route) =>
      route.request().url().endsWith('.js')
        ? route.fulfill({ contentType: 'text/javascript', body: bundle })
        : route.fulfill({ contentType: 'text/html', body: '<!doctype html><script src="/sdk-test/parley.js"></script>' }),
    );
    await page.goto(`${server.url}/sdk-test/index.html`);
    await page.evaluate(
      async ({ username, rtc }) => {
        const w = window as unknown as Record<string, any>;
        const client = new w.Parley.ParleyClient({ url: location.origin, rtc });
        await client.login({ username, password: 'correct horse battery' });
        client.connect();
        await client.connected();
        w.client = client;
        w.calls = [];
        client.calls.on('incoming', (call: any) => {
          w.calls.push(call);
          void call.accept({ video: true });
        });
      },
      { username: user.username, rtc },
    );
    return page;
  }

  /** Bytes received per media kind, and the local candidate type of the selected pair. */
  const stats = (page: Page) =>
    page.evaluate(async () => {
      const w = window as unknown as Record<string, any>;
      const call = w.calls[0];
      const report: RTCStatsReport | null = call ? await call.getStats() : null;
      const out = { audio: 0, video: 0, candidate: '' };
      if (!report) return out;
      const byId = new Map<string, any>();
      report.forEach((s: any) => byId.set(s.id, s));
      report.forEach((s: any) => {
        if (s.type === 'inbound-rtp' && (s.kind === 'audio' || s.kind === 'video')) out[s.kind as 'audio' | 'video'] += s.bytesReceived ?? 0;
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') out.candidate = byId.get(s.localCandidateId)?.candidateType ?? '';
      });
      return out;
    });

  async function call(options: { relay: boolean }) {
    const [alice, bob] = [await register(server.url), await register(server.url)];
    const conv = await createConversation(server.url, alice, [bob]);
    const rtc = options.relay ? { iceTransportPolicy: 'relay' } : {};
    const [pa, pb] = [await openAs(alice, rtc), await openAs(bob, rtc)];
    await pa.evaluate(
      async ({ conv, bob }) => {
        const w = window as unknown as Record<string, any>;
        w.calls.push(await w.client.calls.start(conv, { invitee: bob, video: true }));
      },
      { conv: conv.id, bob: bob.id },
    );
    // Media flows both ways, and keeps flowing.
    await expect.poll(async () => (await stats(pa)).audio > 0 && (await stats(pa)).video > 0 && (await stats(pb)).audio > 0 && (await stats(pb)).video > 0, { timeout: 30_000, interval: 500 }).toBe(true);
    const before = { a: await stats(pa), b: await stats(pb) };
    await expect.poll(async () => (await stats(pa)).video > before.a.video && (await stats(pb)).video > before.b.video, { timeout: 15_000, interval: 500 }).toBe(true);
    const result = { a: await stats(pa), b: await stats(pb) };
    await pa.context().close();
    await pb.context().close();
    return result;
  }

  it('connects a video call between two browsers: audio and video bytes grow on both sides', async () => {
    const { a, b } = await call({ relay: false });
    expect(a.audio).toBeGreaterThan(0);
    expect(b.video).toBeGreaterThan(0);
  }, 90_000);

  (TURNSERVER ? it : it.skip)(`gets no relay candidate with forged or expired TURN credentials${TURNSERVER ? '' : ' (skipped: needs coturn)'}`, async () => {
    const user = await register(server.url);
    const page = await openAs(user);
    const gather = (tamper: 'none' | 'forged' | 'expired') =>
      page.evaluate(async (tamper) => {
        const w = window as unknown as Record<string, any>;
        const { ice_servers } = await w.client.api.iceServers();
        const turn = ice_servers.find((s: { username?: string }) => s.username);
        const [, userId] = turn.username.split(':');
        const server = {
          urls: turn.urls,
          username: tamper === 'expired' ? `${Math.floor(Date.now() / 1000) - 60}:${userId}` : turn.username,
          credential: tamper === 'forged' ? 'forged-credential' : turn.credential,
        };
        const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' });
        const types: string[] = [];
        pc.onicecandidate = (e) => e.candidate && types.push(e.candidate.type ?? '');
        pc.addTransceiver('audio');
        await pc.setLocalDescription();
        await new Promise<void>((resolve) => {
          pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
          setTimeout(resolve, 10_000);
        });
        pc.close();
        return types;
      }, tamper);
    expect(await gather('none')).toContain('relay');
    expect(await gather('forged')).toEqual([]);
    expect(await gather('expired')).toEqual([]);
    await page.context().close();
  }, 90_000);

  it('connects exactly one call when both sides call each other at once (glare)', async () => {
    const [alice, bob] = [await register(server.url), await register(server.url)];
    const conv = await createConversation(server.url, alice, [bob]);
    const [pa, pb] = [await openAs(alice), await openAs(bob)];
    const dial = (page: Page, invitee: string) =>
      page.evaluate(
        async ({ conv, invitee }) => {
          const w = window as unknown as Record<string, any>;
          w.calls.push(await w.client.calls.start(conv, { invitee, video: false }));
        },
        { conv: conv.id, invitee },
      );
    await Promise.all([dial(pa, bob.id), dial(pb, alice.id)]);
    const live = (page: Page) =>
      page.evaluate(() => (window as unknown as Record<string, any>).client.calls.active().map((c: { id: string; state: string }) => `${c.id}:${c.state}`));
    await expect.poll(async () => [...(await live(pa)), ...(await live(pb))], { timeout: 30_000, interval: 300 }).toSatisfy(
      (calls: string[]) => calls.length === 2 && calls.every((c) => c.endsWith(':connected')) && calls[0]!.split(':')[0] === calls[1]!.split(':')[0],
    );
    await pa.context().close();
    await pb.context().close();
  }, 90_000);

  it('connects a three-person mesh: media between every pair', async () => {
    const users = [await register(server.url), await register(server.url), await register(server.url)];
    const group = await createConversation(server.url, users[0]!, users.slice(1), 'group');
    const pages = await Promise.all(users.map((u) => openAs(u)));
    // Everyone calls those after them: 0→1, 0→2, 1→2.
    for (let i = 0; i < 3; i++) {
      const later = users.slice(i + 1).map((u) => u.id);
      if (later.length === 0) continue;
      await pages[i]!.evaluate(
        async ({ conv, later }) => {
          const w = window as unknown as Record<string, any>;
          w.calls.push(...(await w.client.calls.startGroup(conv, later, { video: false })));
        },
        { conv: group.id, later },
      );
    }
    const inbound = (page: Page) =>
      page.evaluate(async () => {
        const w = window as unknown as Record<string, any>;
        const totals: number[] = [];
        for (const call of w.calls) {
          const report: RTCStatsReport | null = await call.getStats();
          let bytes = 0;
          report?.forEach((s: any) => {
            if (s.type === 'inbound-rtp' && s.kind === 'audio') bytes += s.bytesReceived ?? 0;
          });
          totals.push(bytes);
        }
        return totals;
      });
    // Each page has two calls (one per other participant), each receiving audio.
    for (const page of pages) {
      await expect.poll(async () => { const t = await inbound(page); return t.length === 2 && t.every((b) => b > 0); }, { timeout: 30_000, interval: 500 }).toBe(true);
    }
    await Promise.all(pages.map((p) => p.context().close()));
  }, 120_000);

  (TURNSERVER ? it : it.skip)(`relays media through coturn when only relay candidates are allowed${TURNSERVER ? '' : ' (skipped: needs coturn)'}`, async () => {
    const { a, b } = await call({ relay: true });
    expect(a.candidate).toBe('relay');
    expect(b.candidate).toBe('relay');
  }, 90_000);
};

if (existsSync(CHROMIUM)) describe('calls in Chromium with fake media', suite);
else describe.skip(`calls in Chromium with fake media (skipped: needs Chromium at ${CHROMIUM} or CHROMIUM_BIN)`, suite);
