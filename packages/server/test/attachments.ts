import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachmentView } from '@parley/protocol';
import { makeDatabase, type DatabaseKind, type TestDatabase } from './support/databases.ts';
import { api, connect, createConversation, register, startServer, textMessage, type TestServer, type TestUser } from './support/harness.ts';
import { eventually } from './support/eventually.ts';
import { createUpload, cutPatch, patchUpload, uploadFile, uploadOffset } from './support/tus.ts';
import { EICAR, startClamd, type TestClamd } from './support/clamd.ts';
import { freePort, spawnInstance } from './support/processes.ts';

/**
 * Attachments end to end (issue #14) on a real server over the given
 * database, with a real clamd (its own EICAR signature database) and the
 * filesystem blob store in a temporary folder. `full` adds what needs a
 * PostgreSQL that several processes share (a killed instance's job taken
 * over by another) and the scanner outage.
 */
export function attachmentsSuite(kind: DatabaseKind, options: { full: boolean }): void {
  let database: TestDatabase;
  let clamd: TestClamd;
  let server: TestServer;
  let blobDir: string;
  let alice: TestUser;
  let bob: TestUser;
  let mallory: TestUser;
  let conversationId: string;

  const env = () => ({ ...clamd.env, ATTACHMENT_DIR: blobDir, ATTACHMENT_RETRY_MAX: '1', ATTACHMENT_POLL_INTERVAL: '1', ATTACHMENT_QUOTA_BYTES: String(400 * 1024 * 1024) });

  beforeAll(async () => {
    database = await makeDatabase(kind);
    clamd = await startClamd();
    blobDir = mkdtempSync(join(tmpdir(), 'parley-attachments-'));
    server = await startServer(database.db, { env: env() });
    [alice, bob, mallory] = [await register(server.url), await register(server.url), await register(server.url)];
    conversationId = (await createConversation(server.url, alice, [bob])).id;
  });
  afterAll(async () => {
    await server?.close();
    await clamd?.close();
    await database?.drop();
    if (blobDir) rmSync(blobDir, { recursive: true, force: true });
  });

  const view = (user: TestUser, id: string) => api<AttachmentView>(server.url, 'GET', `/api/v1/attachments/${id}`, { token: user.token });
  const download = (user: TestUser, id: string, path = 'content', headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/v1/attachments/${id}/${path}`, { headers: { authorization: `Bearer ${user.token}`, ...headers } });
  const settled = (user: TestUser, id: string, timeoutMs = 20_000) =>
    eventually(
      async () => {
        const res = await view(user, id);
        expect(res.body.status).not.toMatch(/^(uploading|pending)$/);
        return res.body;
      },
      { timeoutMs, intervalMs: 50 },
    );
  /** Every object the blob store holds for an attachment. */
  const objectsOf = (id: string) =>
    ['uploads', 'files', 'thumbnails'].flatMap((folder) => {
      const dir = join(blobDir, folder);
      if (!existsSync(dir)) return [];
      return readdirSync(dir, { recursive: true }).map(String).filter((p) => p.startsWith(id)).map((p) => `${folder}/${p}`);
    });
  const sha256 = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
  /** One sample of a server's metrics, 0 when absent. */
  const metric = async (s: TestServer, name: string, labels = '') => {
    const text = await s.parley.metrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  it('cleans a PNG with GPS EXIF: served without the metadata, dimensions recorded, thumbnail present', async () => {
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3a7' } })
      .withExif({ IFD0: { Make: 'ParleyCam', ImageDescription: 'home-address' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } })
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).exif).toBeDefined();
    const id = await uploadFile(server.url, alice.token, conversationId, 'holiday.png', png);
    const done = await settled(alice, id);
    expect(done).toMatchObject({ status: 'clean', scan: 'clamav', content_type: 'image/png', width: 640, height: 480, thumbnail: true, name: 'holiday.png' });

    const res = await download(alice, id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="holiday.png"/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox/);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const served = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(served).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 640, height: 480 });
    expect(meta.exif).toBeUndefined();
    expect(served.includes('ParleyCam')).toBe(false);
    expect(served.includes('eXIf')).toBe(false);

    const thumb = await download(bob, id, 'thumbnail');
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const t = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(t).toMatchObject({ format: 'webp', width: 320, height: 240 });
  });

  it('blocks EICAR: never downloadable at any moment, removed from storage, audited, the sender told', async () => {
    const socket = await connect(server, alice);
    const res = await createUpload(server.url, alice.token, { conversation_id: conversationId, filename: 'invoice.txt' }, EICAR.length);
    expect(res.status).toBe(201);
    const id = res.id!;
    const told = socket.waitFor((f) => f.type === 'attachment' && f.attachment.id === id && f.attachment.status === 'blocked', 20_000);
    // Poll the download from before the last byte until the verdict: it must never answer 200.
    let polling = true;
    const seen = new Set<number>();
    const poller = (async () => {
      while (polling) seen.add((await download(alice, id)).status);
    })();
    expect((await patchUpload(server.url, alice.token, id, 0, EICAR)).status).toBe(204);
    const frame = await told;
    polling = false;
    await poller;
    expect(frame.attachment).toMatchObject({ status: 'blocked', reason: 'malware', content_type: null });
    expect(seen.has(200)).toBe(false);
    expect([...seen].every((s) => s === 409 || s === 410)).toBe(true);
    expect((await download(alice, id)).status).toBe(410);
    expect((await download(alice, id)).headers.get('content-type')).toMatch(/json/);
    expect(objectsOf(id)).toEqual([]);
    expect(server.logs.some((l) => l.includes('"event":"attachment_blocked"') && l.includes(id) && l.includes('Parley.Test.EICAR'))).toBe(true);
    // And a moderation event in the outbox (relayed to Kafka where configured), written with the verdict.
    const events = await database.db.query<{ topic: string; key: string; payload: Record<string, unknown> }>(
      `SELECT topic, key, payload FROM outbox WHERE type = 'attachment.blocked' AND payload->>'attachment_id' = $1`,
      [id],
    );
    expect(events).toEqual([
      {
        topic: 'messages',
        key: conversationId,
        payload: {
          attachment_id: id,
          conversation_id: conversationId,
          uploader_id: alice.id,
          message_id: null,
          name: 'invoice.txt',
          size: EICAR.length,
          content_type: 'application/octet-stream',
          reason: 'malware',
          signature: 'Parley.Test.EICAR.UNOFFICIAL',
        },
      },
    ]);
    // A message may still reference it: every member sees it blocked, with nothing to download.
    const send = await api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: alice.token,
      body: { ...textMessage('see attached'), attachments: [{ id }] },
    });
    expect(send.status).toBe(201);
    expect(send.body.message.attachments[0]).toMatchObject({ id, status: 'blocked', name: 'invoice.txt' });
    expect((await download(bob, id)).status).toBe(410);
    socket.close();
  });

  it('serves an HTML file named cat.png as a download of no particular type, never as HTML', async () => {
    const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
    const id = await uploadFile(server.url, alice.token, conversationId, 'cat.png', html);
    expect(await settled(alice, id)).toMatchObject({ status: 'clean', content_type: 'application/octet-stream', thumbnail: false });
    const res = await download(bob, id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="cat.png"/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/^sandbox/);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(html);
  });

  it('gives a non-member the same 404 for metadata and content as for a missing attachment', async () => {
    const id = await uploadFile(server.url, alice.token, conversationId, 'notes.txt', Buffer.from('private notes'));
    await settled(alice, id);
    const missing = crypto.randomUUID();
    for (const path of ['', '/content', '/thumbnail']) {
      const theirs = await api(server.url, 'GET', `/api/v1/attachments/${id}${path}`, { token: mallory.token });
      const none = await api(server.url, 'GET', `/api/v1/attachments/${missing}${path}`, { token: mallory.token });
      expect(theirs).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no such attachment' } } });
      expect(none).toEqual(theirs);
    }
    // Nor resume, read or cancel the upload, nor upload into the conversation.
    expect((await uploadOffset(server.url, mallory.token, id)).status).toBe(404);
    const intrude = await createUpload(server.url, mallory.token, { conversation_id: conversationId, filename: 'x' }, 5, Buffer.from('hello'));
    expect(intrude).toMatchObject({ status: 404, body: { error: { code: 'conversation_not_found' } } });
    expect((await view(bob, id)).status).toBe(200);
  });

  it('resumes an upload cut off half-way to exactly the same bytes', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const res = await createUpload(server.url, alice.token, { conversation_id: conversationId, filename: 'data.bin' }, bytes.length);
    expect(res.status).toBe(201);
    const id = res.id!;
    await cutPatch(server.url, alice.token, id, 0, bytes, 1_500_000);
    const { offset } = await eventually(async () => {
      const o = await uploadOffset(server.url, alice.token, id);
      expect(o.offset).toBeGreaterThan(0);
      return o;
    });
    // The bytes that arrived were kept: the client goes on from there, not from zero.
    expect(offset).toBeLessThanOrEqual(1_500_000);
    expect((await view(alice, id)).body.status).toBe('uploading');
    const rest = await patchUpload(server.url, alice.token, id, offset!, bytes.subarray(offset!));
    expect(rest.status).toBe(204);
    expect(await settled(alice, id)).toMatchObject({ status: 'clean', size: bytes.length });
    const served = Buffer.from(await (await download(alice, id)).arrayBuffer());
    expect(sha256(served)).toBe(sha256(bytes));
    // Range requests (audio and video seek with them).
    const part = await download(alice, id, 'content', { range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(1000, 2000));
    expect((await download(alice, id, 'content', { range: `bytes=${bytes.length}-` })).status).toBe(416);
  });

  it('references uploads from a message: only the sender’s own, metadata and live status for every member', async () => {
    const bobSocket = await connect(server, bob);
    const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#000' } }).png().toBuffer();
    const id = await uploadFile(server.url, alice.token, conversationId, 'dot.png', png);
    const sent = await api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: alice.token,
      body: { ...textMessage('a picture'), attachments: [{ id, name: 'lies.exe', size: 1 }] },
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message.attachments[0]).toMatchObject({ id, name: 'dot.png', size: png.length });
    await settled(alice, id);
    // Bob sees the final state: in history, and pushed (when it changed after the send) or in the message.
    await eventually(async () => {
      const history = await api(server.url, 'GET', `/api/v1/conversations/${conversationId}/messages`, { token: bob.token });
      const stored = history.body.messages.find((m: any) => m.message_id === sent.body.message_id);
      expect(stored.message.attachments[0]).toMatchObject({ id, status: 'clean', content_type: 'image/png', width: 20, height: 10, thumbnail: true, scan: 'clamav' });
    });
    const pushed = bobSocket.messages(conversationId).find((f) => f.message_id === sent.body.message_id);
    expect((pushed?.message as { attachments: Array<{ id: string }> }).attachments[0]!.id).toBe(id);
    expect((await view(alice, id)).body.message_id).toBe(sent.body.message_id);

    // Bob may not send Alice's upload; nobody may send an unknown id.
    const other = await uploadFile(server.url, alice.token, conversationId, 'b.txt', Buffer.from('b'));
    for (const [user, ref] of [[bob, other], [alice, crypto.randomUUID()], [alice, 'not-a-uuid']] as const) {
      const res = await api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: user.token,
        body: { ...textMessage('x'), attachments: [{ id: ref }] },
      });
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'attachment_invalid' } } });
    }
    // Nor into another conversation.
    const elsewhere = (await createConversation(server.url, alice, [mallory])).id;
    const res = await api(server.url, 'POST', `/api/v1/conversations/${elsewhere}/messages`, {
      token: alice.token,
      body: { ...textMessage('x'), attachments: [{ id: other }] },
    });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'attachment_invalid' } } });
    bobSocket.close();
  });

  it('removes a deleted message’s files when the delete commits', async () => {
    const id = await uploadFile(server.url, alice.token, conversationId, 'gone.txt', Buffer.from('soon gone'));
    const kept = await uploadFile(server.url, alice.token, conversationId, 'kept.txt', Buffer.from('stays'));
    const sent = await api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: alice.token,
      body: { ...textMessage('x'), attachments: [{ id }] },
    });
    const other = await api(server.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: alice.token,
      body: { ...textMessage('y'), attachments: [{ id: kept }] },
    });
    expect([sent.status, other.status]).toEqual([201, 201]);
    await settled(alice, id);
    await settled(alice, kept);
    expect(objectsOf(id).length).toBeGreaterThan(0);
    // Bob may not delete Alice's message in a direct conversation: nothing is removed.
    expect((await api(server.url, 'DELETE', `/api/v1/conversations/${conversationId}/messages/${sent.body.seq}`, { token: bob.token })).status).toBe(403);
    expect(objectsOf(id).length).toBeGreaterThan(0);
    // Alice deletes it: its file goes (after the commit); the other message's stays.
    expect((await api(server.url, 'DELETE', `/api/v1/conversations/${conversationId}/messages/${sent.body.seq}`, { token: alice.token })).status).toBe(201);
    await eventually(async () => {
      expect(objectsOf(id)).toEqual([]);
      expect((await view(alice, id)).status).toBe(404);
    });
    expect(objectsOf(kept).length).toBeGreaterThan(0);
    expect((await view(bob, kept)).body.status).toBe('clean');
  });

  it('counts uploads accepted and refused by code, bytes received, outcomes, and the time from last byte to final state', async () => {
    const before = {
      accepted: await metric(server, 'parley_uploads_total', 'result="accepted"'),
      notFound: await metric(server, 'parley_uploads_total', 'result="conversation_not_found"'),
      bytes: await metric(server, 'parley_upload_bytes_total'),
      clean: await metric(server, 'parley_attachments_processed_total', 'status="clean"'),
      blocked: await metric(server, 'parley_attachments_processed_total', 'status="blocked"'),
      timed: await metric(server, 'parley_attachment_processing_seconds_count'),
    };
    const good = await uploadFile(server.url, alice.token, conversationId, 'notes.bin', randomBytes(3000));
    const bad = await uploadFile(server.url, alice.token, conversationId, 'eicar.txt', EICAR);
    expect((await createUpload(server.url, mallory.token, { conversation_id: conversationId, filename: 'x' }, 10)).status).toBe(404);
    expect(await settled(alice, good)).toMatchObject({ status: 'clean' });
    expect(await settled(alice, bad)).toMatchObject({ status: 'blocked' });
    await eventually(async () => {
      expect(await metric(server, 'parley_attachments_processed_total', 'status="clean"')).toBe(before.clean + 1);
      expect(await metric(server, 'parley_attachments_processed_total', 'status="blocked"')).toBe(before.blocked + 1);
    });
    expect(await metric(server, 'parley_uploads_total', 'result="accepted"')).toBe(before.accepted + 2);
    expect(await metric(server, 'parley_uploads_total', 'result="conversation_not_found"')).toBe(before.notFound + 1);
    expect(await metric(server, 'parley_upload_bytes_total')).toBe(before.bytes + 3000 + EICAR.length);
    expect(await metric(server, 'parley_attachment_processing_seconds_count')).toBe(before.timed + 2);
    expect(await metric(server, 'parley_attachments_processed_total', 'status="failed"')).toBeGreaterThanOrEqual(0);
    expect(await server.parley.metrics.registry.metrics()).toContain('parley_attachments_oldest_pending_seconds ');
  });

  describe('limits, refused before any byte is stored', () => {
    let limited: TestServer;
    let carol: TestUser;
    let room: string;
    beforeAll(async () => {
      limited = await startServer(database.db, {
        env: { ...env(), ATTACHMENT_MAX_BYTES: '1000', ATTACHMENT_QUOTA_BYTES: '2500', RATE_LIMIT_UPLOADS: '0.001:4' },
      });
      carol = await register(limited.url);
      room = (await createConversation(limited.url, carol, [alice])).id;
    });
    afterAll(() => limited?.close());

    it('refuses a file over the size limit with 413 payload_too_large', async () => {
      const before = readdirSync(blobDir, { recursive: true }).length;
      const res = await createUpload(limited.url, carol.token, { conversation_id: room, filename: 'big' }, 1001, randomBytes(1001));
      expect(res).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } }, id: null });
      expect(readdirSync(blobDir, { recursive: true }).length).toBe(before);
    });

    it('refuses past the quota with quota_exceeded, then past the upload rate with rate_limited', async () => {
      await uploadFile(limited.url, carol.token, room, 'a', randomBytes(1000));
      await uploadFile(limited.url, carol.token, room, 'b', randomBytes(1000));
      const before = readdirSync(blobDir, { recursive: true }).length;
      const over = await createUpload(limited.url, carol.token, { conversation_id: room, filename: 'c' }, 501, randomBytes(501));
      expect(over).toMatchObject({ status: 413, body: { error: { code: 'quota_exceeded' } }, id: null });
      expect(readdirSync(blobDir, { recursive: true }).length).toBe(before);
      // The fourth creation is still within the burst of 4; the fifth is not.
      expect((await createUpload(limited.url, carol.token, { conversation_id: room, filename: 'd' }, 10)).status).toBe(201);
      const fast = await createUpload(limited.url, carol.token, { conversation_id: room, filename: 'e' }, 10);
      expect(fast).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
      expect(Number(fast.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe('CORS for tus clients on other origins', () => {
    const allowed = 'https://chat.example.org';
    const other = 'https://evil.example.net';
    let open: TestServer;
    beforeAll(async () => {
      open = await startServer(database.db, { env: { ...env(), PUBLIC_ORIGINS: `${allowed},https://second.example.org` } });
    });
    afterAll(() => open?.close());

    const preflight = (path: string, origin: string, method: string) =>
      fetch(`${open.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,tus-resumable,upload-length,upload-metadata,upload-offset,content-type' },
      });
    const list = (value: string | null) => (value ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);

    it('answers an allowed origin’s preflights and exposes the tus headers on its answers', async () => {
      for (const [path, method] of [['/api/v1/uploads', 'POST'], [`/api/v1/uploads/${crypto.randomUUID()}`, 'PATCH'], [`/api/v1/uploads/${crypto.randomUUID()}`, 'HEAD']] as const) {
        const res = await preflight(path, allowed, method);
        expect([path, method, res.status]).toEqual([path, method, 204]);
        expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
        expect(list(res.headers.get('access-control-allow-methods'))).toContain(method.toLowerCase());
        expect(list(res.headers.get('access-control-allow-headers'))).toEqual(expect.arrayContaining(['authorization', 'tus-resumable', 'upload-length', 'upload-metadata', 'upload-offset', 'content-type']));
      }
      const dave = await register(open.url);
      const room = (await createConversation(open.url, dave, [alice])).id;
      const created = await fetch(`${open.url}/api/v1/uploads`, {
        method: 'POST',
        headers: { origin: allowed, 'tus-resumable': '1.0.0', authorization: `Bearer ${dave.token}`, 'upload-length': '10', 'upload-metadata': `conversation_id ${Buffer.from(room).toString('base64')},filename ${Buffer.from('a').toString('base64')}` },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('access-control-allow-origin')).toBe(allowed);
      expect(list(created.headers.get('access-control-expose-headers'))).toEqual(expect.arrayContaining(['location', 'upload-offset', 'upload-length', 'tus-resumable']));
      const head = await fetch(new URL(created.headers.get('location')!, open.url), { method: 'HEAD', headers: { origin: allowed, 'tus-resumable': '1.0.0', authorization: `Bearer ${dave.token}` } });
      expect(head.status).toBe(200);
      expect(head.headers.get('access-control-allow-origin')).toBe(allowed);
      expect(list(head.headers.get('access-control-expose-headers'))).toContain('upload-offset');
    });

    it('grants nothing to an origin not in PUBLIC_ORIGINS', async () => {
      for (const [path, method] of [['/api/v1/uploads', 'POST'], [`/api/v1/uploads/${crypto.randomUUID()}`, 'PATCH']] as const) {
        const res = await preflight(path, other, method);
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
        expect(res.headers.get('access-control-allow-methods')).toBeNull();
      }
      const dave = await register(open.url);
      const room = (await createConversation(open.url, dave, [alice])).id;
      const created = await fetch(`${open.url}/api/v1/uploads`, {
        method: 'POST',
        headers: { origin: other, 'tus-resumable': '1.0.0', authorization: `Bearer ${dave.token}`, 'upload-length': '10', 'upload-metadata': `conversation_id ${Buffer.from(room).toString('base64')}` },
      });
      // The request itself is not refused (CORS is the browser's rule), but the browser gets no grant to read the answer.
      expect(created.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('the quota under concurrent uploads', () => {
    let tight: TestServer;
    beforeAll(async () => {
      tight = await startServer(database.db, { env: { ...env(), ATTACHMENT_QUOTA_BYTES: '2500', RATE_LIMIT_UPLOADS: '100:100' } });
    });
    afterAll(() => tight?.close());

    it('accepts exactly the uploads that fit when several start at once, and stores nothing for the others', async () => {
      const dave = await register(tight.url);
      const room = (await createConversation(tight.url, dave, [alice])).id;
      const before = new Set(readdirSync(blobDir, { recursive: true }).map(String));
      // Eight creations of 1000 bytes each (with their bytes) against a 2500-byte quota, all in flight together.
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => createUpload(tight.url, dave.token, { conversation_id: room, filename: `f${i}` }, 1000, randomBytes(1000))),
      );
      const accepted = answers.filter((a) => a.status === 201);
      expect(accepted).toHaveLength(2);
      for (const refused of answers.filter((a) => a.status !== 201)) {
        expect(refused).toMatchObject({ status: 413, body: { error: { code: 'quota_exceeded' } }, id: null });
      }
      const rows = await database.db.query<{ id: string }>('SELECT id FROM attachments WHERE uploader_id = $1', [dave.id]);
      expect(rows.map((r) => r.id).sort()).toEqual(accepted.map((a) => a.id).sort());
      // Whatever appeared in the blob store since belongs to an accepted upload (processing may have moved it on already).
      const added = readdirSync(blobDir, { recursive: true }).map(String).filter((p) => !before.has(p) && !/^(uploads|files|thumbnails)$/.test(p));
      expect(added.filter((p) => !accepted.some((a) => p.includes(a.id!)))).toEqual([]);
    });
  });

  describe('collection of uploads no message referenced', () => {
    let collecting: TestServer;
    beforeAll(async () => {
      collecting = await startServer(database.db, { env: { ...env(), ATTACHMENT_UNREFERENCED_TTL: '2' } });
    });
    afterAll(() => collecting?.close());

    it('deletes an upload left unreferenced past the TTL, files and all, and keeps a referenced one', async () => {
      const left = await uploadFile(collecting.url, alice.token, conversationId, 'left.txt', Buffer.from('left behind'));
      const kept = await uploadFile(collecting.url, alice.token, conversationId, 'kept.txt', Buffer.from('kept'));
      const half = await createUpload(collecting.url, alice.token, { conversation_id: conversationId, filename: 'half.bin' }, 10, Buffer.from('12345'));
      await settled(alice, left);
      const sent = await api(collecting.url, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: alice.token,
        body: { ...textMessage('kept'), attachments: [{ id: kept }] },
      });
      expect(sent.status).toBe(201);
      expect(objectsOf(left).length).toBeGreaterThan(0);
      await eventually(async () => {
        expect((await view(alice, left)).status).toBe(404);
        expect((await view(alice, half.id!)).status).toBe(404);
      }, { timeoutMs: 15_000 });
      expect(objectsOf(left)).toEqual([]);
      expect(objectsOf(half.id!)).toEqual([]);
      expect((await view(alice, kept)).body).toMatchObject({ status: 'clean', message_id: sent.body.message_id });
      expect(objectsOf(kept).length).toBeGreaterThan(0);
    });
  });

  if (!options.full) return;

  it('keeps files pending while clamd is down, never serving them, and cleans them when it returns', async () => {
    await clamd.stop();
    try {
      const id = await uploadFile(server.url, alice.token, conversationId, 'report.txt', Buffer.from('quarterly numbers'));
      // Tried and put back at least twice while clamd is away.
      await eventually(
        async () => {
          const [row] = await database.db.query<{ attempts: number; status: string }>('SELECT attempts, status FROM attachments WHERE id = $1', [id]);
          expect(row).toMatchObject({ status: 'pending' });
          expect(row!.attempts).toBeGreaterThanOrEqual(2);
        },
        { timeoutMs: 20_000 },
      );
      expect((await view(alice, id)).body.status).toBe('pending');
      expect((await download(alice, id)).status).toBe(409);
      // What the "files stuck pending" alert reads.
      expect(await metric(server, 'parley_attachments_pending')).toBeGreaterThanOrEqual(1);
      expect(await metric(server, 'parley_attachments_oldest_pending_seconds')).toBeGreaterThan(0);
      await clamd.start();
      expect(await settled(alice, id, 30_000)).toMatchObject({ status: 'clean', scan: 'clamav' });
      await eventually(async () => expect(await metric(server, 'parley_attachments_pending')).toBe(0));
      expect(await metric(server, 'parley_attachments_oldest_pending_seconds')).toBe(0);
    } finally {
      await clamd.start().catch(() => {});
    }
  });

  it('finishes a job on another instance when the one processing it is killed', async () => {
    // A clamd that accepts the file and never answers holds instance A mid-scan until it is killed.
    const silent: Server = createServer(() => {});
    const silentPort = await freePort();
    await new Promise<void>((r) => silent.listen(silentPort, '127.0.0.1', r));
    const a = await spawnInstance({
      DATABASE_URL: database.url!,
      ATTACHMENT_DIR: blobDir,
      CLAMD_HOST: '127.0.0.1',
      CLAMD_PORT: String(silentPort),
      CLAMD_TIMEOUT: '600',
      ATTACHMENT_LEASE_TTL: '3',
      ATTACHMENT_WORKERS: '1',
      INSTANCE_ID: 'instance-a',
    });
    try {
      await server.parley.attachments.worker.stop();
      const res = await createUpload(a.url, alice.token, { conversation_id: conversationId, filename: 'slow.txt' }, 5, Buffer.from('hello'));
      expect(res.status).toBe(201);
      const id = res.id!;
      await eventually(async () => {
        const [row] = await database.db.query<{ lease_holder: string | null }>('SELECT lease_holder FROM attachments WHERE id = $1', [id]);
        expect(row!.lease_holder).toMatch(/^instance-a\//);
      }, { timeoutMs: 20_000 });
      a.kill('SIGKILL');
      await a.exited;
      expect((await view(alice, id)).body.status).toBe('pending');
      server.parley.attachments.worker.start();
      expect(await settled(alice, id, 30_000)).toMatchObject({ status: 'clean' });
    } finally {
      a.kill('SIGKILL');
      server.parley.attachments.worker.start();
      silent.close();
    }
    // Starting a second server process from sources takes a while on a loaded machine.
  }, 180_000);
}
