import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { eventually, messageTexts, openConversation, registerViaUi, send, startDirectChat, uniqueUsername } from './support/ui.ts';
import { CLAMD_BIN, EICAR, startClamd, type TestClamd } from '../../../packages/server/test/support/clamd.ts';

/**
 * Attachments in the web client, in real Chromium against a real server
 * with a real clamd (its own EICAR signature): Alice attaches an image with
 * the file picker and another by drag and drop, watches the upload, and Bob
 * sees the thumbnails and downloads the file; an EICAR file shows as blocked
 * on both sides.
 */
function suite(): void {
  let fixture: WebFixture;
  let clamd: TestClamd;
  let alice: Person;
  let bob: Person;
  const blobs = mkdtempSync(join(tmpdir(), 'parley-web-attachments-'));
  const names = { alice: uniqueUsername('alice'), bob: uniqueUsername('bob') };

  beforeAll(async () => {
    clamd = await startClamd();
    fixture = await startWebFixture({ env: { ...clamd.env, ATTACHMENT_DIR: blobs, ATTACHMENT_POLL_INTERVAL: '1' } });
    alice = await newPerson(fixture, { label: 'alice' });
    bob = await newPerson(fixture, { label: 'bob' });
    await registerViaUi(alice.page, names.alice, 'Alice');
    await registerViaUi(bob.page, names.bob, 'Bob');
    await startDirectChat(alice.page, names.bob, 'Bob');
    await send(alice.page, 'files coming');
    await openConversation(bob.page, 'Alice');
  });
  afterAll(async () => {
    await fixture?.close();
    await clamd?.close();
    rmSync(blobs, { recursive: true, force: true });
  });

  const png = (w: number, h: number, colour: string) => sharp({ create: { width: w, height: h, channels: 3, background: colour } }).png().toBuffer();
  const card = (page: Person['page'], name: string) => page.locator('.attachment', { has: page.locator('.attachment__name', { hasText: name }) });

  it('attaches an image with the file picker; the other side sees its preview and downloads it', async () => {
    await alice.page.locator('[data-testid=attach-input]').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: await png(800, 600, '#2a6') });
    const row = alice.page.locator('.upload-row', { hasText: 'photo.png' });
    await row.waitFor();
    await alice.page.locator('.upload-row[data-state=done]').waitFor({ timeout: 20_000 });
    expect(await row.locator('progress').getAttribute('value')).toBe(await row.locator('progress').getAttribute('max'));
    await send(alice.page, 'a photo');
    await alice.page.locator('.upload-row').waitFor({ state: 'detached' });

    const preview = card(bob.page, 'photo.png').locator('img');
    await preview.waitFor({ timeout: 30_000 });
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(320);
    await card(alice.page, 'photo.png').locator('img').waitFor({ timeout: 30_000 });
    expect(await card(bob.page, 'photo.png').getAttribute('data-status')).toBe('clean');

    // The thumbnail opens the full image in a viewer.
    await preview.click();
    const viewer = bob.page.getByRole('dialog', { name: 'photo.png' });
    await expect.poll(() => viewer.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(800);
    await bob.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });

    const download = bob.page.waitForEvent('download');
    await card(bob.page, 'photo.png').getByRole('button', { name: 'Download' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('photo.png');
    const meta = await sharp(readFileSync((await file.path())!)).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 800, height: 600 });
  });

  it('attaches a file by drag and drop', async () => {
    const bytes = [...(await png(64, 64, '#a26'))];
    await alice.page.evaluate((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'dropped.png', { type: 'image/png' }));
      const target = document.querySelector('form.composer')!;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, bytes);
    await alice.page.locator('.upload-row[data-state=done]', { hasText: 'dropped.png' }).waitFor({ timeout: 20_000 });
    await alice.page.getByRole('button', { name: 'Send' }).click();
    await card(bob.page, 'dropped.png').locator('img').waitFor({ timeout: 30_000 });
  });

  it('attaches an image pasted from the clipboard; the other side sees its preview', async () => {
    const bytes = [...(await png(300, 200, '#26a'))];
    // What Chromium hands a page when an image is pasted: a paste event whose DataTransfer holds a File.
    const handled = await alice.page.getByRole('textbox', { name: 'Message' }).evaluate((field, data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'image.png', { type: 'image/png' }));
      const event = new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true });
      field.dispatchEvent(event);
      return event.defaultPrevented;
    }, bytes);
    // The composer took the file (and kept the browser from pasting anything into the text).
    expect(handled).toBe(true);
    await alice.page.locator('.upload-row[data-state=done]', { hasText: 'image.png' }).waitFor({ timeout: 20_000 });
    await send(alice.page, 'pasted');
    const preview = card(bob.page, 'image.png').locator('img');
    await preview.waitFor({ timeout: 30_000 });
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(300);
    expect(await card(bob.page, 'image.png').getAttribute('data-status')).toBe('clean');
  });

  it('sends a file sent while uploading once, after a reload half-way that resumes the upload where the server has it', async () => {
    const MiB = 1024 * 1024;
    const bytes = randomBytes(4 * MiB);
    const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    // A slow uplink (256 KiB/s), so that the reload comes while the file is on its way.
    const cdp = await alice.context.newCDPSession(alice.page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
    const firstChunk = alice.page.waitForResponse((r) => r.request().method() === 'PATCH' && r.status() === 204, { timeout: 30_000 });
    await alice.page.locator('[data-testid=attach-input]').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await alice.page.locator('.upload-row', { hasText: 'big.bin' }).waitFor();
    // Sent while the file uploads: the message waits for it.
    await send(alice.page, 'the big file');
    await alice.page.locator('.upload-row').waitFor({ state: 'detached' });
    await firstChunk;
    expect(await alice.page.locator('.upload-row[data-state=done]').count()).toBe(0);
    expect(await messageTexts(bob.page)).not.toContain('the big file');

    const resumedAt: number[] = [];
    alice.page.on('request', (r) => {
      if (r.method() === 'PATCH') resumedAt.push(Number(r.headers()['upload-offset']));
    });
    await alice.page.reload();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }).catch(() => {});

    const file = card(bob.page, 'big.bin');
    await file.and(bob.page.locator('[data-status=clean]')).waitFor({ timeout: 60_000 });
    // The page after the reload went on from where the server had the upload (at least the first MiB), not from 0.
    expect(resumedAt[0]).toBeGreaterThanOrEqual(MiB);
    const download = bob.page.waitForEvent('download');
    await file.getByRole('button', { name: 'Download' }).click();
    expect(sha256(readFileSync((await (await download).path())!))).toBe(sha256(bytes));
    // Once, on both sides, and nothing left waiting on Alice's device.
    await eventually(async () => expect((await messageTexts(alice.page)).filter((t) => t === 'the big file')).toHaveLength(1));
    expect((await messageTexts(bob.page)).filter((t) => t === 'the big file')).toHaveLength(1);
    const left = await alice.page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('parley-web-uploads');
          open.onsuccess = () => {
            const count = open.result.transaction('uploads').objectStore('uploads').count();
            count.onsuccess = () => resolve(count.result);
            count.onerror = () => reject(count.error);
          };
          open.onerror = () => reject(open.error);
        }),
    );
    expect(left).toBe(0);
    await cdp.detach();
  });

  it('shows a blocked file as blocked on both sides', async () => {
    await alice.page.locator('[data-testid=attach-input]').setInputFiles({ name: 'invoice.txt', mimeType: 'text/plain', buffer: EICAR });
    await alice.page.locator('.upload-row[data-state=done]', { hasText: 'invoice.txt' }).waitFor({ timeout: 20_000 });
    await send(alice.page, 'the invoice');
    for (const page of [alice.page, bob.page]) {
      const blocked = card(page, 'invoice.txt');
      await blocked.and(page.locator('[data-status=blocked]')).waitFor({ timeout: 30_000 });
      expect(await blocked.locator('.attachment__state').textContent()).toBe('Blocked');
      expect(await blocked.getByRole('button', { name: 'Download' }).count()).toBe(0);
    }
    // The refused download (410) is the only console error expected.
    expect(fixture.problems.filter((p) => !/status of 410|status of 409/.test(p))).toEqual([]);
  });
}

const needs = [!HAS_CHROMIUM && `Chromium at ${CHROMIUM_BIN} (set CHROMIUM_BIN)`, !CLAMD_BIN && 'clamd (apt-get install clamav-daemon)'].filter(Boolean);
if (needs.length === 0) describe('attachments in the web client (Chromium)', suite);
else describe.skip(`attachments in the web client (skipped: needs ${needs.join(' and ')})`, suite);
