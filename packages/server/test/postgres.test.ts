import { describe } from 'vitest';
import { integration } from './integration.ts';
import { TEST_DATABASE_URL } from './support/databases.ts';

if (TEST_DATABASE_URL) describe('on PostgreSQL', () => integration('postgres'));
else describe.skip(`on PostgreSQL (skipped: needs PostgreSQL: set TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres)`, () => integration('postgres'));
