import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, connect, createConversation, register, type TestUser } from '../packages/server/test/support/harness.ts';
import { postgresDatabase, TEST_DATABASE_URL } from '../packages/server/test/support/databases.ts';
import { REPO_ROOT, spawnInstance, type Instance } from '../packages/server/test/support/processes.ts';

/**
 * What ships is what runs. This file builds the packages once (`npm run
 * build`), then:
 * - lays out the production runtime with `scripts/runtime-install.sh`, the
 *   step the Dockerfile's build stage runs, in a scratch folder outside the
 *   repository (so no dev dependency can be found by walking up), and starts
 *   the compiled server from it with plain `node`, embedded and on PostgreSQL;
 * - packs `@parley/protocol` and `@parley/sdk`, installs the tarballs into a
 *   scratch project, and uses them from a plain Node script, from TypeScript
 *   and from a Vite build, as an app developer would.
 */
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'parley-packaging-'));
const DEV_ONLY = ['typescript', 'tsx', 'vitest', 'vite', 'playwright-core', 'fast-check', 'yaml', '@types/node'];

/** The environment a production container has: no NODE_OPTIONS or npm variables inherited from the test runner. */
const productionEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, NODE_ENV: 'production' });

beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
}, 300_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the production runtime (scripts/runtime-install.sh, as in the Dockerfile)', () => {
  const app = join(scratch, 'app');
  const instances: Instance[] = [];

  beforeAll(async () => {
    await run('bash', [join(REPO_ROOT, 'scripts/runtime-install.sh'), app], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
  }, 300_000);
  afterAll(async () => {
    for (const instance of instances) instance.kill('SIGKILL');
  });

  it('holds compiled JavaScript, the web client and production dependencies only', () => {
    expect(readdirSync(app).sort()).toEqual(['node_modules', 'package-lock.json', 'package.json', 'packages', 'web']);
    expect(readdirSync(join(app, 'packages')).sort()).toEqual(['protocol', 'server']);
    expect(readdirSync(join(app, 'packages/server')).sort()).toEqual(['dist', 'migrations', 'package.json']);
    expect(existsSync(join(app, 'packages/server/dist/main.js'))).toBe(true);
    expect(existsSync(join(app, 'web/index.html'))).toBe(true);
    const present = DEV_ONLY.filter((name) => existsSync(join(app, 'node_modules', name)));
    expect(present).toEqual([]);
  });

  async function start(env: Record<string, string>): Promise<Instance> {
    const instance = await spawnInstance({ WEB_ROOT: join(app, 'web'), ...env }, 60_000, {
      cwd: app,
      args: ['packages/server/dist/main.js'],
      baseEnv: productionEnv(),
    });
    instances.push(instance);
    return instance;
  }

  /** Registers two people, opens a chat, and checks a REST send reaches the other's socket and history. */
  async function chatWorks(instance: Instance): Promise<void> {
    const page = await fetch(instance.url + '/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const [alice, bob] = [await register(instance.url, 'pa'), await register(instance.url, 'pb')];
    const conversation = await createConversation(instance.url, alice, [bob]);
    const socket = await connect(instance, bob);
    const sent = await api(instance.url, 'POST', `/api/v1/conversations/${conversation.id}/messages`, {
      token: alice.token,
      body: { type: 'text', text: 'from the runtime image', client_msg_id: 'rt-1' },
    });
    expect(sent.status).toBe(201);
    const pushed = await socket.waitFor((f) => f.type === 'message');
    expect(pushed).toMatchObject({ seq: 1, sender_id: alice.id, message: { text: 'from the runtime image' } });
    socket.close();
  }

  async function stops(instance: Instance): Promise<void> {
    instance.kill('SIGTERM');
    expect(await instance.exited).toEqual({ code: 0, signal: null });
  }

  it('starts with plain node on the embedded default (PGlite) and serves chat and the web client', async () => {
    const instance = await start({ DATA_DIR: join(scratch, 'data') });
    await chatWorks(instance);
    await stops(instance);
  });

  it.skipIf(!TEST_DATABASE_URL)('starts with plain node on PostgreSQL (needs TEST_DATABASE_URL)', async () => {
    const database = await postgresDatabase({ migrate: false });
    try {
      const instance = await start({ DATABASE_URL: database.url! });
      await chatWorks(instance);
      await stops(instance);
    } finally {
      await database.drop();
    }
  });
});

describe('the published SDK (npm pack tarballs used outside the workspace)', () => {
  const consumer = join(scratch, 'consumer');
  let server: Instance;
  let alice: TestUser;
  let bob: TestUser;
  let conversationId: string;

  beforeAll(async () => {
    const pack = join(scratch, 'pack');
    mkdirSync(pack, { recursive: true });
    await run('npm', ['pack', '--silent', '-w', '@parley/protocol', '-w', '@parley/sdk', '--pack-destination', pack], { cwd: REPO_ROOT });
    mkdirSync(consumer, { recursive: true });
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const tarballs = readdirSync(pack).map((f) => join(pack, f));
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: consumer });

    server = await spawnInstance({ DATA_DIR: join(scratch, 'sdk-data') }, 60_000, {
      cwd: join(scratch, 'app'),
      args: ['packages/server/dist/main.js'],
      baseEnv: productionEnv(),
    });
    [alice, bob] = [await register(server.url, 'sa'), await register(server.url, 'sb')];
    conversationId = (await createConversation(server.url, alice, [bob])).id;
  }, 300_000);
  afterAll(() => server?.kill('SIGKILL'));

  it('installs only the SDK, the protocol and their runtime dependency', () => {
    const installed = readdirSync(join(consumer, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['@parley', 'typebox']);
    const sdk = JSON.parse(readFileSync(join(consumer, 'node_modules/@parley/sdk/package.json'), 'utf8'));
    expect(readdirSync(join(consumer, 'node_modules/@parley/sdk')).sort()).toEqual(['README.md', 'dist', 'package.json']);
    expect(sdk.exports['.'].default).toBe('./dist/index.js');
  });

  it('a plain Node script logs in, sends and receives with the global WebSocket', async () => {
    writeFileSync(
      join(consumer, 'ping.mjs'),
      `import { ParleyClient } from '@parley/sdk';
const [url, username, password, conversationId] = process.argv.slice(2);
const client = new ParleyClient({ url });
await client.login({ username, password });
client.connect();
await client.connected();
const pong = new Promise((resolve) =>
  client.on('message', ({ entry }) => { if (entry.message.text === 'pong') resolve(entry); }));
client.send(conversationId, 'ping');
const entry = await pong;
console.log(JSON.stringify({ seq: entry.seq, sender: entry.sender_id }));
await client.close();
`,
    );
    const bobSocket = await connect(server, bob);
    const script = run(process.execPath, ['ping.mjs', server.url, alice.username, 'correct horse battery', conversationId], {
      cwd: consumer,
      env: productionEnv(),
      timeout: 60_000,
    });
    const ping = await bobSocket.waitFor((f) => f.type === 'message' && (f.message as { text?: string }).text === 'ping', 30_000);
    expect(ping.sender_id).toBe(alice.id);
    await api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: bob.token,
      body: { type: 'text', text: 'pong', client_msg_id: 'pong-1' },
    });
    const { stdout } = await script;
    expect(JSON.parse(stdout.trim())).toEqual({ seq: (ping.seq as number) + 1, sender: bob.id });
    bobSocket.close();
  });

  it('type-checks against the published declarations', async () => {
    writeFileSync(
      join(consumer, 'check.ts'),
      `import { ParleyClient, MemoryOutboxStore, type ConversationSnapshot } from '@parley/sdk';
import { httpStatusOf, type MessageView } from '@parley/protocol';
const client = new ParleyClient({ url: 'http://localhost:8080', outbox: new MemoryOutboxStore() });
client.on('message', ({ entry }: { entry: MessageView }) => entry.seq.toFixed());
const list: ConversationSnapshot[] = client.conversations();
const code: number = httpStatusOf('rate_limited');
// @ts-expect-error: the declarations are precise enough to refuse a wrong argument
client.send(42, 'hi');
export { list, code };
`,
    );
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2023', strict: true, noEmit: true, lib: ['es2023', 'dom'], types: [] }, files: ['check.ts'] }),
    );
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer });
  });

  /** Builds a one-page app whose script is `code`, with Vite, against the installed tarballs; returns its JavaScript. */
  async function viteBuild(name: string, code: string): Promise<string> {
    const web = join(consumer, name);
    mkdirSync(web, { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><div id="app"></div><script type="module" src="./main.js"></script>');
    writeFileSync(join(web, 'main.js'), code);
    const output = await build({ root: web, logLevel: 'silent', configFile: false, build: { outDir: join(web, 'dist'), write: false } });
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : []));
    return chunks.map((c) => (c.type === 'chunk' ? c.code : '')).join('\n');
  }
  // TypeBox 1 marks every schema it builds with this key.
  const TYPEBOX_MARK = '~kind';

  it('a minimal Vite app builds against it, without the protocol schemas or Node modules', async () => {
    const js = await viteBuild(
      'web',
      `import { ParleyClient, IndexedDbOutboxStore } from '@parley/sdk';
const client = new ParleyClient({ url: location.origin, outbox: new IndexedDbOutboxStore('parley') });
client.on('message', ({ entry }) => { document.getElementById('app').textContent = entry.message.text; });
client.connect();
`,
    );
    expect(js).toContain('parley.v1');
    expect(js).not.toMatch(/node:fs|node:path/);
    expect(js).not.toContain(TYPEBOX_MARK);
    // The check above can fail: an app that does use a schema carries TypeBox.
    const withSchema = await viteBuild('web-schema', `import { SendMessageFrame } from '@parley/protocol';\nconsole.log(SendMessageFrame);\n`);
    expect(withSchema).toContain(TYPEBOX_MARK);
  });
});
