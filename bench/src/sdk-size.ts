/**
 * The SDK's weight in a browser app: builds small apps against the compiled
 * `@parley/sdk` and `@parley/protocol` (their `dist/`, as published) with Vite
 * and reports each app's JavaScript minified, gzipped and brotli-compressed.
 *
 *   npm run build && npm run bench:sdk-size
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'vite';
import { REPO_ROOT } from './lib/paths.ts';
import { codeVersion, machineInfo, printTable, writeResult, type Row } from './lib/report.ts';

/** Each app's script; the baseline is an app without Parley, for reference. */
const APPS: Record<string, string> = {
  baseline: `document.body.textContent = 'hello';\n`,
  'chat app (ParleyClient + IndexedDbOutboxStore)': `import { ParleyClient, IndexedDbOutboxStore } from '@parley/sdk';
const client = new ParleyClient({ url: location.origin, outbox: new IndexedDbOutboxStore('parley') });
client.on('message', ({ entry }) => { document.body.textContent = entry.message.text; });
client.connect();
`,
  'everything the SDK exports': `import * as sdk from '@parley/sdk';\nconsole.log(sdk);\n`,
  'protocol schemas (for comparison)': `import * as protocol from '@parley/protocol';\nconsole.log(protocol);\n`,
};

for (const pkg of ['sdk', 'protocol']) {
  if (!existsSync(join(REPO_ROOT, 'packages', pkg, 'dist', 'index.js'))) {
    console.error(`packages/${pkg}/dist is missing: run npm run build first`);
    process.exit(1);
  }
}

// Inside the repository, so the apps resolve the workspace packages (their compiled exports, not the sources).
const scratch = await mkdtemp(join(REPO_ROOT, 'bench', '.sdk-size-'));
const sizes: Record<string, { min: number; gzip: number; brotli: number }> = {};
try {
  for (const [name, code] of Object.entries(APPS)) {
    const root = join(scratch, String(Object.keys(sizes).length));
    await mkdir(root);
    await writeFile(join(root, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
    await writeFile(join(root, 'main.js'), code);
    const output = await build({ root, logLevel: 'silent', configFile: false, build: { write: false, modulePreload: { polyfill: false } } });
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => ('output' in o ? o.output : []));
    const js = Buffer.from(chunks.map((c) => (c.type === 'chunk' ? c.code : '')).join('\n'));
    sizes[name] = {
      min: js.length,
      gzip: gzipSync(js, { level: 9 }).length,
      brotli: brotliCompressSync(js, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const rows: Row[] = [];
for (const [name, s] of Object.entries(sizes)) {
  rows.push([name, undefined]);
  rows.push(['minified / gzip / brotli', `${kb(s.min)} / ${kb(s.gzip)} / ${kb(s.brotli)}`]);
}
printTable('SDK browser bundle (vite build, dist of @parley/sdk and @parley/protocol)', rows);
const file = await writeResult('sdk-size', 'vite', { sizes, machine: machineInfo(), code: codeVersion(), node: process.version });
console.log(`written to ${file}`);
