import { createHash, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';
import { api, createConversation, register, startServer, type TestServer } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import { createUpload, patchUpload } from './support/tus.ts';
import { TEST_S3_BUCKET, TEST_S3_CREDENTIALS, TEST_S3_ENDPOINT, testS3Options } from './support/s3.ts';

/**
 * The scaled tier's storage: two instances on one PostgreSQL and one
 * S3-compatible bucket (S3Proxy). An upload begun on one instance is
 * finished on the other, and either serves it: every instance sees every file.
 */
const suite = () => {
  let database: TestDatabase;
  let one: TestServer;
  let two: TestServer;
  beforeAll(async () => {
    database = await postgresDatabase();
    const s3 = await testS3Options();
    const env = {
      S3_BUCKET: TEST_S3_BUCKET,
      S3_ENDPOINT: TEST_S3_ENDPOINT,
      S3_PREFIX: s3.prefix,
      S3_ACCESS_KEY_ID: TEST_S3_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: TEST_S3_CREDENTIALS.secretAccessKey,
    };
    one = await startServer(database.db, { env });
    two = await startServer(database.db, { env });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
  });

  it('takes an upload in parts across two instances and serves it from either', async () => {
    const [alice, bob] = [await register(one.url), await register(one.url)];
    const conversationId = (await createConversation(one.url, alice, [bob])).id;
    const bytes = randomBytes(7 * 1024 * 1024);
    const created = await createUpload(one.url, alice.token, { conversation_id: conversationId, filename: 'big.bin' }, bytes.length, bytes.subarray(0, 4_000_000));
    expect(created.status).toBe(201);
    expect((await patchUpload(two.url, alice.token, created.id!, 4_000_000, bytes.subarray(4_000_000))).status).toBe(204);
    await eventually(async () => {
      const res = await api(two.url, 'GET', `/api/v1/attachments/${created.id}`, { token: bob.token });
      expect(res.body).toMatchObject({ status: 'clean', scan: 'off', size: bytes.length });
    }, { timeoutMs: 30_000 });
    for (const server of [one, two]) {
      const res = await fetch(`${server.url}/api/v1/attachments/${created.id}/content`, { headers: { authorization: `Bearer ${bob.token}` } });
      expect(res.status).toBe(200);
      const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(sha(bytes));
    }
    const png = await sharp({ create: { width: 400, height: 100, channels: 4, background: '#f00a' } }).png().toBuffer();
    const image = await createUpload(two.url, alice.token, { conversation_id: conversationId, filename: 'wide.png' }, png.length, png);
    await eventually(async () => {
      const res = await api(one.url, 'GET', `/api/v1/attachments/${image.id}`, { token: bob.token });
      expect(res.body).toMatchObject({ status: 'clean', width: 400, height: 100, thumbnail: true });
    }, { timeoutMs: 30_000 });
    const thumb = await fetch(`${one.url}/api/v1/attachments/${image.id}/thumbnail`, { headers: { authorization: `Bearer ${bob.token}` } });
    expect((await sharp(new Uint8Array(await thumb.arrayBuffer())).metadata())).toMatchObject({ width: 320, height: 80 });
  }, 120_000);
};

const needs = [!TEST_DATABASE_URL && 'PostgreSQL (TEST_DATABASE_URL)', !TEST_S3_ENDPOINT && 'an S3-compatible server (TEST_S3_ENDPOINT, from `bash scripts/s3proxy.sh start`)'].filter(Boolean);
if (needs.length === 0) describe('attachments on S3 storage, two instances', suite);
else describe.skip(`attachments on S3 storage, two instances (skipped: needs ${needs.join(' and ')})`, suite);
