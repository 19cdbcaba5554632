import { describe } from 'vitest';
import { attachmentsSuite } from './attachments.ts';
import { TEST_DATABASE_URL } from './support/databases.ts';
import { CLAMD_BIN } from './support/clamd.ts';

const needs = [!TEST_DATABASE_URL && 'PostgreSQL (set TEST_DATABASE_URL)', !CLAMD_BIN && 'clamd (apt-get install clamav-daemon)'].filter(Boolean);
if (needs.length === 0) describe('attachments on PostgreSQL with clamd', () => attachmentsSuite('postgres', { full: true }));
else describe.skip(`attachments on PostgreSQL with clamd (skipped: needs ${needs.join(' and ')})`, () => attachmentsSuite('postgres', { full: true }));
