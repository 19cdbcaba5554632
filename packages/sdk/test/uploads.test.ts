import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ParleyClient } from '../src/client.ts';
import { MemoryOutboxStore } from '../src/outbox-stores/memory-outbox-store.ts';
import { MemoryUploadStore } from '../src/upload-stores/memory-upload-store.ts';
import { ParleyError } from '../src/errors.ts';
import type { UploadState } from '../src/uploads.ts';
import { eventually } from './support/eventually.ts';
import { useRealServer } from './support/real-server.ts';

/** The SDK's uploader against the real server (tus, PGlite, files in a temporary folder, scanning off). */
describe('uploads against the real server', () => {
  const MiB = 1024 * 1024;
  const real = useRealServer((dir) => ({ ATTACHMENT_DIR: dir, ATTACHMENT_MAX_BYTES: String(8 * MiB) }));

  async function pair(): Promise<{ alice: ParleyClient; bob: ParleyClient; chat: string }> {
    const [alice, bob] = await Promise.all(['up', 'up'].map((name) => real.registered(name)));
    const chat = await alice!.api.createDirect(bob!.user!.id);
    return { alice: alice!, bob: bob!, chat: chat.id };
  }

  it('uploads in chunks with progress; the attachment is processed and readable by the other member', async () => {
    const { alice, bob, chat } = await pair();
    const bytes = new Uint8Array(randomBytes(3 * MiB + 17));
    const upload = alice.upload(chat, bytes, { name: 'data.bin', chunkSize: MiB });
    const progress: number[] = [];
    upload.on('progress', ({ sent, total }) => {
      expect(total).toBe(bytes.length);
      progress.push(sent);
    });
    const id = await upload.start();
    expect(id).toBe(upload.id);
    expect(progress).toEqual([0, MiB, 2 * MiB, 3 * MiB, 3 * MiB + 17]);
    expect(upload.state).toBe('done');
    await eventually(async () => expect(await bob.api.getAttachment(id)).toMatchObject({ status: 'clean', size: bytes.length, name: 'data.bin', scan: 'off' }));
  });

  it('pauses and resumes from what the server has; a new client resumes by URL (a reload)', async () => {
    const { alice, chat } = await pair();
    const bytes = new Uint8Array(randomBytes(4 * MiB));
    const upload = alice.upload(chat, bytes, { chunkSize: MiB });
    const states: UploadState[] = [];
    upload.on('state', (s) => states.push(s));
    upload.on('progress', ({ sent }) => {
      if (sent >= MiB) upload.pause();
    });
    void upload.start();
    await eventually(() => expect(upload.state).toBe('paused'));
    const url = upload.url!;
    // After a reload: a fresh Upload object from the saved URL goes on from the server's offset.
    const again = alice.upload(chat, bytes, { url, chunkSize: MiB });
    const seen: number[] = [];
    again.on('progress', ({ sent }) => seen.push(sent));
    const id = await again.start();
    expect(id).toBe(upload.id);
    expect(seen[0]).toBeGreaterThanOrEqual(MiB);
    expect(seen.at(-1)).toBe(4 * MiB);
    expect(states).toEqual(['uploading', 'paused']);
    await eventually(async () => expect(await alice.api.getAttachment(id)).toMatchObject({ status: 'clean', size: 4 * MiB }));
  });

  it('cancels: the server forgets the upload', async () => {
    const { alice, chat } = await pair();
    const upload = alice.upload(chat, new Uint8Array(randomBytes(2 * MiB)), { chunkSize: 512 * 1024 });
    upload.on('progress', ({ sent }) => {
      if (sent > 0) void upload.cancel();
    });
    void upload.start();
    await expect(upload.done).rejects.toMatchObject({ code: 'closed' });
    expect(upload.state).toBe('cancelled');
    await eventually(async () => {
      const err = await alice.api.getAttachment(upload.id!).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ParleyError);
      expect((err as ParleyError).code).toBe('not_found');
    });
  });

  it('sends a message that waits for its upload once, after a restart that resumes the upload from the server’s offset', async () => {
    const { alice, bob, chat } = await pair();
    const texts: string[] = [];
    const received = new Map<string, string[]>();
    bob.on('message', ({ entry }) => {
      if (entry.message.type !== 'text') return;
      texts.push(entry.message.text);
      received.set(entry.message.text, (entry.message.attachments ?? []).map((a) => a.id));
    });
    await bob.connect();
    // What a browser keeps across a reload: the two stores (IndexedDB there).
    const outbox = new MemoryOutboxStore();
    const uploads = new MemoryUploadStore();
    const first = real.client({ outbox, uploads });
    await first.login({ username: alice.user!.username, password: 'correct horse battery' });
    await first.connect();
    const bytes = new Uint8Array(randomBytes(3 * MiB + 5));
    const upload = first.upload(chat, bytes, { name: 'big.bin', chunkSize: MiB });
    // The page goes away after the first MiB: nothing more is sent from it.
    upload.on('progress', ({ sent }) => {
      if (sent >= MiB) upload.pause();
    });
    void upload.start();
    const pending = first.send(chat, 'with a file', { uploads: [upload] });
    first.send(chat, 'meanwhile');
    await eventually(() => expect(texts).toEqual(['meanwhile']));
    await eventually(async () => expect((await uploads.load())[0]).toMatchObject({ url: upload.url, client_msg_id: pending.client_msg_id, name: 'big.bin' }));
    await eventually(() => expect(upload.state).toBe('paused'));
    await first.close();

    // Records where each PATCH of the restarted client starts.
    const patches: number[] = [];
    const recording = ((url: string, init?: { method?: string; headers?: Record<string, string> }) => {
      if (init?.method === 'PATCH') patches.push(Number(init.headers?.['upload-offset']));
      return fetch(url, init as RequestInit);
    }) as typeof fetch;
    const second = real.client({ outbox, uploads, fetch: recording });
    await second.login({ username: alice.user!.username, password: 'correct horse battery' });
    await second.connect();
    await eventually(() => expect(texts).toEqual(['meanwhile', 'with a file']), { timeoutMs: 20_000 });
    const [id] = received.get('with a file')!;
    expect(id).toBe(upload.id);
    // The resumed upload did not start again: the server kept the first MiB (one part), and the bytes are the same.
    const view = await eventually(async () => {
      const v = await bob.api.getAttachment(id!);
      expect(v.status).toBe('clean');
      return v;
    });
    expect(view).toMatchObject({ size: bytes.length, name: 'big.bin' });
    const res = await fetch(`${real.server.url}/api/v1/attachments/${id}/content`, { headers: { authorization: `Bearer ${await bob.api.auth!.accessToken()}` } });
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    expect(patches[0]).toBeGreaterThanOrEqual(MiB);
    expect(await uploads.load()).toEqual([]);
    expect(second.pending()).toEqual([]);
    expect(texts).toEqual(['meanwhile', 'with a file']);
  });

  it('fails a waiting message whose upload the server forgot, and a retry uploads the kept bytes again', async () => {
    const { alice, bob, chat } = await pair();
    await bob.connect();
    const received: Array<{ text: string; ids: string[] }> = [];
    bob.on('message', ({ entry }) => {
      if (entry.message.type === 'text') received.push({ text: entry.message.text, ids: (entry.message.attachments ?? []).map((a) => a.id) });
    });
    const outbox = new MemoryOutboxStore();
    const uploads = new MemoryUploadStore();
    const first = real.client({ outbox, uploads });
    await first.login({ username: alice.user!.username, password: 'correct horse battery' });
    await first.connect();
    const bytes = new Uint8Array(randomBytes(2 * MiB));
    const upload = first.upload(chat, bytes, { name: 'gone.bin', chunkSize: MiB });
    upload.on('progress', ({ sent }) => {
      if (sent >= MiB) upload.pause();
    });
    void upload.start();
    const pending = first.send(chat, 'lost upload', { uploads: [upload] });
    await eventually(() => expect(upload.state).toBe('paused'));
    await eventually(async () => expect((await uploads.load())[0]?.url).toBe(upload.url));
    await first.close();
    // The server forgets the unfinished upload (as its collection after the TTL would).
    const token = await alice.api.auth!.accessToken();
    expect((await fetch(upload.url!, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${token}` } })).status).toBe(204);

    const second = real.client({ outbox, uploads });
    await second.login({ username: alice.user!.username, password: 'correct horse battery' });
    await second.connect();
    await eventually(() => expect(second.pending()).toMatchObject([{ client_msg_id: pending.client_msg_id, status: 'failed', error: { code: 'not_found' } }]));
    expect(second.retrySend(pending.client_msg_id)).toBe(true);
    await eventually(() => expect(received.map((r) => r.text)).toEqual(['lost upload']), { timeoutMs: 20_000 });
    const [id] = received[0]!.ids;
    expect(id).not.toBe(upload.id);
    await eventually(async () => expect(await bob.api.getAttachment(id!)).toMatchObject({ status: 'clean', size: bytes.length, name: 'gone.bin' }));
    expect(await uploads.load()).toEqual([]);
  });

  it('fails with the server’s code when the file is too large (nothing stored)', async () => {
    const { alice, chat } = await pair();
    const upload = alice.upload(chat, new Uint8Array(9 * MiB));
    await expect(upload.start()).rejects.toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(upload.state).toBe('failed');
    expect(upload.url).toBeNull();
  });
});
