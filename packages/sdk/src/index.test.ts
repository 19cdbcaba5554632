import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as sdk from '@parley/sdk';
import * as sdkNode from '@parley/sdk/node';

/** Every module reachable from `entry` by relative imports, and the bare specifiers they import. */
function importGraph(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(/^(?:import|export)[^;]*?from '([^']+)';/gms)) {
      if (spec!.startsWith('.')) visit(resolve(dirname(file), spec!));
      else bare.add(spec!);
    }
    for (const [, spec] of source.matchAll(/import\('([^']+)'\)/g)) bare.add(spec!);
  };
  visit(entry);
  return { files, bare };
}

describe('@parley/sdk entry point', () => {
  it('resolves by package name and exports the client and the stores', () => {
    expect(typeof sdk.ParleyClient).toBe('function');
    expect(typeof sdk.MemoryOutboxStore).toBe('function');
    expect(typeof sdk.IndexedDbOutboxStore).toBe('function');
    expect(typeof sdk.MemoryCursorStore).toBe('function');
    expect(typeof sdk.IndexedDbCursorStore).toBe('function');
    expect(typeof sdk.ParleyError).toBe('function');
    expect(typeof sdk.isTextEntry).toBe('function');
    expect('FileOutboxStore' in sdk).toBe(false);
    expect(typeof sdkNode.FileOutboxStore).toBe('function');
    expect(typeof sdkNode.FileCursorStore).toBe('function');
  });

  it('the main entry reaches no Node module, not even lazily; the file stores live behind @parley/sdk/node', () => {
    const main = importGraph(join(import.meta.dirname, 'index.ts'));
    expect([...main.bare].filter((spec) => spec.startsWith('node:') || ['ws', 'fs', 'path'].includes(spec))).toEqual([]);
    expect([...main.files].map((f) => f.slice(import.meta.dirname.length + 1)).filter((f) => f.includes('file-'))).toEqual([]);
    const node = importGraph(join(import.meta.dirname, 'node.ts'));
    expect([...node.bare].some((spec) => spec.startsWith('node:'))).toBe(true);
  });

  it('imports no Node module statically outside the node entry, so it bundles for browsers', () => {
    const sources: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.includes('contract')) sources.push(path);
      }
    };
    walk(import.meta.dirname);
    const nodeOnly = importGraph(join(import.meta.dirname, 'node.ts')).files;
    const offenders = sources.filter((file) => !nodeOnly.has(file)).filter((file) => /^import[^;]*from '(node:[^']+|ws|fs|path)';/m.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('uses the global WebSocket, and says it needs one when the platform has none', () => {
    expect(() => new sdk.ParleyClient({ url: 'http://localhost:1' })).not.toThrow();
    const global = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      expect(() => new sdk.ParleyClient({ url: 'http://localhost:1' })).toThrow(/WebSocket/);
    } finally {
      if (global) Object.defineProperty(globalThis, 'WebSocket', global);
    }
  });
});
