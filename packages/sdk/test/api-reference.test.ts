import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The SDK's API reference (TypeDoc, tools/sdk-docs, `npm run docs:sdk`):
 * generated here into a scratch folder. Every public export of the SDK's
 * entry points (`@parley/sdk`, `@parley/sdk/node`) must carry TSDoc, every
 * `{@link}` must resolve (the TypeDoc config treats that as an error), and
 * the committed copy in docs/sdk must be what the sources give.
 */
const root = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

interface Reflection {
  name: string;
  kind: number;
  comment?: { summary?: Array<{ text: string }> };
  signatures?: Reflection[];
  children?: Reflection[];
}

const documented = (r: Reflection): boolean =>
  [r, ...(r.signatures ?? [])].some((x) => (x.comment?.summary ?? []).some((part) => part.text.trim().length > 0));

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

describe('SDK API reference', () => {
  let scratch: string;
  let project: Reflection;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'parley-sdk-docs-'));
    // Throws (non-zero exit) on any TypeDoc warning: an unresolved link, an export it cannot document.
    await run('npm', ['exec', '--workspace', '@parley/sdk-docs', '--', 'typedoc', '--options', 'typedoc.json', '--json', join(scratch, 'api.json'), '--out', join(scratch, 'md')], {
      cwd: root,
      maxBuffer: 16 << 20,
    });
    project = JSON.parse(await readFile(join(scratch, 'api.json'), 'utf8')) as Reflection;
  }, 180_000);
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('documents every public export of both entry points', () => {
    const modules = project.children ?? [];
    expect(modules.map((m) => m.name).sort()).toEqual(['index', 'node']);
    const undocumented = modules.flatMap((m) => (m.children ?? []).filter((r) => !documented(r)).map((r) => `${m.name}: ${r.name}`));
    expect(undocumented).toEqual([]);
    // The check has something to check: the entry points' main exports are there.
    const names = modules.flatMap((m) => (m.children ?? []).map((r) => r.name));
    expect(names).toEqual(expect.arrayContaining(['ParleyClient', 'ParleyError', 'FileCursorStore', 'verifyEventSignature']));
  });

  it('keeps the committed reference in docs/sdk equal to what the sources give', async () => {
    const committed = join(root, 'docs/sdk');
    const fresh = join(scratch, 'md');
    const names = await files(fresh);
    expect(await files(committed), 'docs/sdk is stale: run npm run docs:sdk').toEqual(names);
    for (const name of names) {
      expect(await readFile(join(committed, name), 'utf8'), `docs/sdk/${name} is stale: run npm run docs:sdk`).toBe(await readFile(join(fresh, name), 'utf8'));
    }
  });
});
