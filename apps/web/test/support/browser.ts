import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { pgliteDatabase, type TestDatabase } from '../../../../packages/server/test/support/databases.ts';
import { startServer, type TestServer } from '../../../../packages/server/test/support/harness.ts';
import { loginViaUi } from './ui.ts';

/**
 * Real Chromium against a real server. Chromium is Debian's (`.ci/run`
 * installs it); no browser is ever downloaded. Suites run only when it is
 * there and say why in their name when it is not.
 */
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM_BIN);

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS_DIR = join(WEB_DIR, 'test-artifacts');

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Builds the web client with its own Vite config into a fresh temporary directory. */
export async function buildWebClient(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-'));
  // Vitest sets NODE_ENV=test, which Vite and the React plugin would follow into a development
  // bundle (development JSX, React's development build): build what ships instead.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: join(WEB_DIR, 'vite.config.ts'),
      root: WEB_DIR,
      mode: 'production',
      logLevel: 'warn',
      build: { outDir: dir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface WebFixture {
  server: TestServer;
  browser: Browser;
  url: string;
  /** Every page error, console error and CSP violation seen so far, by page. */
  problems: string[];
  close(): Promise<void>;
}

/** The client built once, a server on PGlite serving it (as harness.ts starts one), and a headless Chromium. */
export async function startWebFixture(options: { env?: Record<string, string>; args?: string[] } = {}): Promise<WebFixture> {
  const web = await buildWebClient();
  let database: TestDatabase | null = null;
  let server: TestServer | null = null;
  try {
    database = await pgliteDatabase();
    server = await startServer(database.db, { env: { ...options.env, WEB_ROOT: web.dir } });
    const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: [...CHROMIUM_ARGS, ...(options.args ?? [])] });
    const started = server;
    const db = database;
    return {
      server: started,
      browser,
      url: started.url,
      problems: [],
      async close() {
        await browser.close();
        await started.close();
        await db.drop();
        web.remove();
      },
    };
  } catch (err) {
    await server?.close();
    await database?.drop();
    web.remove();
    throw err;
  }
}

export interface Person {
  context: BrowserContext;
  page: Page;
}

/** A fresh browser profile (its own storage, its own network switch) with one page on the app. */
export async function newPerson(
  fixture: WebFixture,
  options: { width?: number; height?: number; label?: string } = {},
): Promise<Person> {
  const context = await fixture.browser.newContext({
    baseURL: fixture.url,
    viewport: { width: options.width ?? 1200, height: options.height ?? 800 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const label = options.label ?? 'page';
  page.on('pageerror', (err) => fixture.problems.push(`${label}: page error: ${err.message}`));
  page.on('console', (message) => {
    // Requests refused while the test has the browser offline are expected noise.
    const text = message.text();
    if (message.type() === 'error' && !text.includes('ERR_INTERNET_DISCONNECTED')) fixture.problems.push(`${label}: console: ${text}`);
  });
  await page.goto('/');
  return { context, page };
}

/** A fresh browser profile signed in as `username` through the form (its label names it in `problems`). */
export async function signedInPerson(fixture: WebFixture, username: string, label: string): Promise<Person> {
  const person = await newPerson(fixture, { label });
  await loginViaUi(person.page, username);
  return person;
}

/** Saves a screenshot of the page under apps/web/test-artifacts/ (git-ignored), for people to look at. */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), animations: 'disabled', caret: 'hide' });
}
