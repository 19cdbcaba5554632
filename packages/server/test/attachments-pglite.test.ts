import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentsSuite } from './attachments.ts';
import { pgliteDatabase, type TestDatabase } from './support/databases.ts';
import { api, createConversation, register, startServer, type TestServer } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import { uploadFile } from './support/tus.ts';
import { CLAMD_BIN } from './support/clamd.ts';

// The embedded tier: the same suite on PGlite (one per file: it is heavy to start).
if (CLAMD_BIN) describe('attachments on PGlite with clamd', () => attachmentsSuite('pglite', { full: false }));
else describe.skip('attachments on PGlite with clamd (skipped: needs clamd: apt-get install clamav-daemon)', () => attachmentsSuite('pglite', { full: false }));

describe('attachments with scanning off (the embedded default without CLAMD_*)', () => {
  let database: TestDatabase;
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    database = await pgliteDatabase();
    dir = mkdtempSync(join(tmpdir(), 'parley-attachments-'));
    server = await startServer(database.db, { env: { ATTACHMENT_DIR: dir } });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('processes and serves files, and says each one was not scanned', async () => {
    const [alice, bob] = [await register(server.url), await register(server.url)];
    const conversationId = (await createConversation(server.url, alice, [bob])).id;
    const jpeg = await sharp({ create: { width: 50, height: 40, channels: 3, background: '#123' } }).jpeg().toBuffer();
    const id = await uploadFile(server.url, alice.token, conversationId, 'a.jpg', jpeg);
    const view = await eventually(async () => {
      const res = await api(server.url, 'GET', `/api/v1/attachments/${id}`, { token: bob.token });
      expect(res.body.status).toBe('clean');
      return res.body;
    });
    expect(view).toMatchObject({ scan: 'off', content_type: 'image/jpeg', width: 50, height: 40 });
    const sent = await api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: alice.token,
      body: { type: 'text', text: 'photo', client_msg_id: crypto.randomUUID(), attachments: [{ id }] },
    });
    expect(sent.body.message.attachments[0]).toMatchObject({ id, scan: 'off', status: 'clean' });
  });
});
