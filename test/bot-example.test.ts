import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, register, startServer, uniqueName, type TestServer, type TestUser } from '../packages/server/test/support/harness.ts';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from '../packages/server/test/support/databases.ts';
import { eventually } from '../packages/server/test/support/eventually.ts';
import { REPO_ROOT } from '../packages/server/test/support/processes.ts';

/**
 * The "write a bot" guide's example (examples/ping-bot, docs/bots.md), run as
 * an app developer would: the SDK and protocol packed with `npm pack`, the
 * tarballs installed into a scratch project outside the repository (the
 * registry is used for their dependencies only), and the example's bot.mjs
 * run with plain `node` against a real Parley on PostgreSQL. The bot answers a
 * ping; is SIGKILLed; misses 50 pings; restarts and answers every one of them,
 * once each, in order. It prints the bot's size and the time from
 * `npm install` to its first answered ping (figures for the issue).
 */
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'parley-bot-example-'));
const productionEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, NODE_ENV: 'production' });

(TEST_DATABASE_URL ? describe : describe.skip)(
  `the ping bot example from packed tarballs${TEST_DATABASE_URL ? '' : ' (skipped: needs PostgreSQL: set TEST_DATABASE_URL)'}`,
  () => {
    let database: TestDatabase;
    let server: TestServer;
    let owner: TestUser;
    let conversationId: string;
    let botToken: string;
    const project = join(scratch, 'bot');
    const bots: ChildProcess[] = [];

    beforeAll(async () => {
      // The SDK's and the protocol's dist, then their tarballs: what `npm publish` would ship.
      await run('npx', ['tsc', '-b', 'packages/sdk/tsconfig.build.json'], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
      const pack = join(scratch, 'pack');
      mkdirSync(pack, { recursive: true });
      await run('npm', ['pack', '--silent', '-w', '@parley/protocol', '-w', '@parley/sdk', '--pack-destination', pack], { cwd: REPO_ROOT });
      mkdirSync(project, { recursive: true });
      for (const tgz of readdirSync(pack)) copyFileSync(join(pack, tgz), join(project, tgz));
      copyFileSync(join(REPO_ROOT, 'examples/ping-bot/bot.mjs'), join(project, 'bot.mjs'));
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-bot', private: true, type: 'module' }));

      database = await postgresDatabase();
      server = await startServer(database.db);
      owner = await register(server.url, 'owner');
      const bot = await api(server.url, 'POST', '/api/v1/bots', { token: owner.token, body: { username: uniqueName('pingbot'), display_name: 'Ping bot' } });
      const token = await api(server.url, 'POST', `/api/v1/bots/${bot.body.id}/tokens`, { token: owner.token, body: { name: 'example' } });
      botToken = token.body.token;
      const conversation = await api(server.url, 'POST', '/api/v1/conversations', { token: owner.token, body: { type: 'direct', member_ids: [bot.body.id] } });
      conversationId = conversation.body.id;
    }, 300_000);
    afterAll(async () => {
      for (const bot of bots) bot.kill('SIGKILL');
      await server?.close();
      await database?.drop();
      rmSync(scratch, { recursive: true, force: true });
    });

    /** Starts bot.mjs; resolves once it printed `ready`. */
    async function startBot(): Promise<{ child: ChildProcess; lines: string[] }> {
      const child = spawn(process.execPath, ['bot.mjs'], {
        cwd: project,
        env: { ...productionEnv(), PARLEY_URL: server.url, PARLEY_BOT_TOKEN: botToken, BOT_DATA_DIR: join(project, 'data') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      bots.push(child);
      const lines: string[] = [];
      const errors: string[] = [];
      child.stdout!.on('data', (chunk) => lines.push(...String(chunk).split('\n').filter(Boolean)));
      child.stderr!.on('data', (chunk) => errors.push(String(chunk)));
      await eventually(() => expect(lines.some((l) => l.startsWith('ready as @')), errors.join('')).toBe(true), { timeoutMs: 30_000 });
      return { child, lines };
    }

    const ping = (text: string) =>
      api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: owner.token,
        body: { type: 'text', text, client_msg_id: crypto.randomUUID() },
      });
    const history = async (): Promise<Array<{ seq: number; sender_id: string; message: { text: string } }>> =>
      (await api(server.url, 'GET', `/api/v1/conversations/${conversationId}/messages?after_seq=0&limit=200`, { token: owner.token })).body.messages;
    const pongs = async () => (await history()).filter((m) => m.sender_id !== owner.id).map((m) => m.message.text);

    it('installs from the tarballs, answers a ping, and after a kill answers the 50 it missed once each, in order', async () => {
      const installStarted = performance.now();
      await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...readdirSync(project).filter((f) => f.endsWith('.tgz')).map((f) => `./${f}`)], {
        // The developer's own environment (npm's cache and configuration under HOME), as packaging.test.ts does.
        cwd: project,
      });
      const installMs = performance.now() - installStarted;
      const first = await startBot();
      await ping('ping 0');
      await eventually(async () => expect(await pongs()).toEqual(['pong 0']), { timeoutMs: 30_000 });
      const toFirstPongMs = performance.now() - installStarted;

      // Killed: no chance to save anything more. Meanwhile 50 pings arrive.
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      for (let i = 1; i <= 50; i++) expect((await ping(`ping ${i}`)).status).toBe(201);

      const second = await startBot();
      const expected = ['pong 0', ...Array.from({ length: 50 }, (_, i) => `pong ${i + 1}`)];
      await eventually(async () => expect(await pongs()).toHaveLength(51), { timeoutMs: 60_000 });
      // Every ping answered once, in the order they were sent; and the restarted bot was handed them as replayed, in order.
      expect(await pongs()).toEqual(expected);
      const replayed = second.lines.filter((l) => l.startsWith('replayed')).map((l) => l.split(': ')[1]);
      expect(replayed).toEqual(Array.from({ length: 50 }, (_, i) => `ping ${i + 1}`));

      // Still live after the catch-up.
      await ping('ping 51');
      await eventually(async () => expect((await pongs()).at(-1)).toBe('pong 51'), { timeoutMs: 30_000 });
      expect(second.lines.at(-1)).toMatch(/^live #\d+: ping 51$/);
      second.child.kill('SIGTERM');

      const source = readFileSync(join(REPO_ROOT, 'examples/ping-bot/bot.mjs'), 'utf8').split('\n');
      const code = source.filter((l) => l.trim() !== '' && !l.trim().startsWith('//')).length;
      console.log(`ping bot: ${code} lines of code (${source.length} with comments and blanks); npm install → first answered ping: ${(toFirstPongMs / 1000).toFixed(1)} s (npm install ${(installMs / 1000).toFixed(1)} s, then start → pong ${((toFirstPongMs - installMs) / 1000).toFixed(1)} s)`);
    }, 240_000);
  },
);
