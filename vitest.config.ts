import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources: tests need no build.
  resolve: { conditions: ['@parley/source', ...defaultServerConditions] },
  // Without 'module': the AWS SDK's ESM build (which that condition picks)
  // imports its own files without extensions, which Node cannot load.
  ssr: { resolve: { conditions: ['@parley/source', ...defaultServerConditions.filter((c) => c !== 'module')] } },
  test: {
    include: ['test/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    // Integration tests start real servers and databases: give them room, and
    // keep two files in flight at most on this 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    pool: 'forks',
  },
});
