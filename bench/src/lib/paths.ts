import { fileURLToPath } from 'node:url';

/** The repository root (where `packages/` and `bench/` live). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Where benchmark results are written (git-ignored). */
export const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));
