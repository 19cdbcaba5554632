import { describe } from 'vitest';
import { integration } from './integration.ts';
import { POSTGRES_SKIP_REASON, TEST_DATABASE_URL } from './support/databases.ts';

if (TEST_DATABASE_URL) describe('on PostgreSQL', () => integration('postgres'));
else describe.skip(`on PostgreSQL (skipped: ${POSTGRES_SKIP_REASON})`, () => integration('postgres'));
