import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
// `npm run dev --workspace @parley/web` talks to a server started with `npm start` (port 8080 unless PARLEY_URL says otherwise).
const server = process.env.PARLEY_URL ?? 'http://localhost:8080';

/**
 * The production build must run under the server's CSP (`script-src 'self'`):
 * Vite emits only external module scripts and stylesheets, and no inline
 * script. Hashed files go to `assets/`, which the server caches for a year.
 */
export default defineConfig({
  root: here,
  // The SDK's Node-only file stores are in `@parley/sdk/node`, which the app never imports.
  plugins: [react()],
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
