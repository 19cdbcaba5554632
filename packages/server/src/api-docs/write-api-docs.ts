/**
 * `npm run docs:api`: writes the two API documents into `docs/api/` for people
 * reading the repository. The server builds and serves the same documents at
 * runtime; this starts one in-process instance on a throwaway in-memory
 * database (it never listens), asks it for them, and stops. A test fails when
 * the committed files differ from what the server serves.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createParley } from '../parley.ts';
import { openPglite } from '../store/pglite-database.ts';
import { migrate } from '../store/migrate.ts';
import { ASYNCAPI_PATH, OPENAPI_PATH } from './routes.ts';

export const API_DOCUMENT_FILES = { 'openapi.json': OPENAPI_PATH, 'asyncapi.json': ASYNCAPI_PATH } as const;

/** The file text of a document: stable two-space JSON with a final newline. */
export function documentText(document: unknown): string {
  return JSON.stringify(document, null, 2) + '\n';
}

async function main(outDir: string): Promise<void> {
  const db = await openPglite(null);
  await migrate(db);
  const parley = await createParley(loadConfig({ LOG_LEVEL: 'warn' }), { db, log: createLogger('warn') });
  try {
    await mkdir(outDir, { recursive: true });
    for (const [file, path] of Object.entries(API_DOCUMENT_FILES)) {
      const res = await parley.http.inject({ url: path });
      if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode}`);
      await writeFile(join(outDir, file), documentText(res.json()));
      console.log(`wrote ${join(outDir, file)}`);
    }
  } finally {
    await parley.close();
    await db.close();
  }
}

if (import.meta.main) await main(resolve(process.argv[2] ?? 'docs/api'));
