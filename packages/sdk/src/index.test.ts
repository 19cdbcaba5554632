import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as sdk from '@parley/sdk';

describe('@parley/sdk entry point', () => {
  it('resolves by package name and exports the client and the stores', () => {
    expect(typeof sdk.ParleyClient).toBe('function');
    expect(typeof sdk.MemoryOutboxStore).toBe('function');
    expect(typeof sdk.FileOutboxStore).toBe('function');
    expect(typeof sdk.IndexedDbOutboxStore).toBe('function');
    expect(typeof sdk.ParleyError).toBe('function');
  });

  it('imports no Node module statically, so it bundles for browsers (the file store loads fs lazily)', () => {
    const sources: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.includes('contract')) sources.push(path);
      }
    };
    walk(import.meta.dirname);
    const offenders = sources.filter((file) => /^import[^;]*from '(node:[^']+|ws|fs|path)';/m.test(readFileSync(file, 'utf8')));
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
