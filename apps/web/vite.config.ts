import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
// `npm run dev --workspace @parley/web` talks to a server started with `npm start` (port 8080 unless PARLEY_URL says otherwise).
const server = process.env.PARLEY_URL ?? 'http://localhost:8080';

/**
 * The SDK's `FileOutboxStore` is for Node (it imports node:fs on first use).
 * Tree shaking drops it anyway, since the app uses `IndexedDbOutboxStore`;
 * this makes sure of it, and keeps Vite from warning about Node modules.
 */
function withoutNodeOutbox(): Plugin {
  const stub = '\0parley-file-outbox-store';
  return {
    name: 'parley:without-node-outbox',
    enforce: 'pre',
    resolveId(source, importer) {
      if (importer?.includes('/packages/sdk/') && source.endsWith('/file-outbox-store.ts')) return stub;
      return null;
    },
    load(id) {
      if (id !== stub) return null;
      return `export class FileOutboxStore { constructor() { throw new Error('FileOutboxStore is for Node; use IndexedDbOutboxStore in a browser'); } }`;
    },
  };
}

/**
 * The production build must run under the server's CSP (`script-src 'self'`):
 * Vite emits only external module scripts and stylesheets, and no inline
 * script. Hashed files go to `assets/`, which the server caches for a year.
 */
export default defineConfig({
  root: here,
  plugins: [withoutNodeOutbox(), react()],
  // The app builds from the SDK's and the protocol's TypeScript sources, so
  // `npm run dev` needs no package build first.
  resolve: { conditions: ['@parley/source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Data URLs are allowed by the CSP, but files keep the HTML and CSS small and cacheable.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/api': server,
      '/ws': { target: server.replace(/^http/, 'ws'), ws: true },
    },
  },
});
