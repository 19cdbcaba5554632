import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { eventually, messageTexts, openConversation, registerViaUi, send, startDirectChat, uniqueUsername, until } from './support/ui.ts';

/** Chromium's fake camera and microphone, granted without asking, and peer connections over loopback. */
const FAKE_MEDIA = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection'];

/** Whether the page's remote <video> plays the other side's live audio and video. */
function remoteMedia(page: Page): Promise<{ audio: boolean; video: boolean; playing: boolean }> {
  return page.evaluate(async () => {
    const video = document.querySelector<HTMLVideoElement>('video[data-remote]');
    const stream = video?.srcObject instanceof MediaStream ? video.srcObject : null;
    const live = (tracks: MediaStreamTrack[] | undefined): boolean => (tracks ?? []).some((t) => t.readyState === 'live');
    let playing = false;
    if (video && video.videoWidth > 0) {
      const before = video.currentTime;
      await new Promise((resolve) => setTimeout(resolve, 300));
      playing = video.currentTime > before;
    }
    return { audio: live(stream?.getAudioTracks()), video: live(stream?.getVideoTracks()), playing };
  });
}

function systemLines(page: Page): Promise<string[]> {
  return page.locator('.messages__list li.system-line').allTextContents();
}

/**
 * A video call between two browser profiles with Chromium's fake devices:
 * Alice calls from the conversation header, Bob accepts from the ringing
 * overlay, media flows both ways, Alice hangs up and the timeline says so.
 */
function suite(): void {
  let fixture: WebFixture;
  let alice: Person;
  let bob: Person;
  const names = { alice: uniqueUsername('alice'), bob: uniqueUsername('bob') };

  beforeAll(async () => {
    fixture = await startWebFixture({ args: FAKE_MEDIA });
    alice = await newPerson(fixture, { label: 'alice' });
    bob = await newPerson(fixture, { label: 'bob' });
    await registerViaUi(alice.page, names.alice, 'Alice');
    await registerViaUi(bob.page, names.bob, 'Bob');
    await startDirectChat(alice.page, names.bob, 'Bob');
    await send(alice.page, 'Call you?');
    await bob.page.locator('button.conversation').first().waitFor();
    await openConversation(bob.page, 'Alice');
    await until(() => messageTexts(bob.page), ['Call you?']);
  }, 120_000);

  afterAll(async () => {
    await fixture?.close();
  });

  it('a call ringing while Bob types leaves his focus in the composer: Enter sends his sentence, the call is announced and still there', async () => {
    const field = bob.page.getByRole('textbox', { name: 'Message' });
    await field.click();
    await bob.page.keyboard.type('I was just saying');
    await alice.page.getByRole('button', { name: 'Voice call' }).click();
    const ringing = bob.page.getByRole('dialog', { name: 'Incoming call' });
    await ringing.waitFor({ timeout: 15_000 });
    await bob.page.keyboard.type(' that we should');
    await bob.page.keyboard.press('Enter');
    expect(await field.evaluate((el) => el === document.activeElement)).toBe(true);
    await until(async () => (await messageTexts(bob.page)).at(-1), 'I was just saying that we should');
    expect(await field.inputValue()).toBe('');
    // Announced to screen readers without taking focus.
    await until(async () => ((await bob.page.getByTestId('incoming-call-announcement').textContent()) ?? '').trim(), 'Voice call from Alice');
    // The call still rings, and the keyboard reaches it.
    expect(await ringing.count()).toBe(1);
    expect(await bob.page.getByRole('region', { name: 'Call' }).count()).toBe(0);
    await ringing.getByRole('button', { name: 'Decline' }).focus();
    await bob.page.keyboard.press('Enter');
    await ringing.waitFor({ state: 'detached' });
    await alice.page.getByRole('region', { name: 'Call' }).waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('Alice calls with video, Bob accepts, and both receive the other side’s audio and video', async () => {
    await alice.page.getByRole('button', { name: 'Video call' }).click();
    await alice.page.getByRole('region', { name: 'Call' }).waitFor();

    const ringing = bob.page.getByRole('dialog', { name: 'Incoming call' });
    await ringing.waitFor({ timeout: 15_000 });
    expect(await ringing.textContent()).toContain('Alice');
    await ringing.getByRole('button', { name: 'Accept' }).click();
    await ringing.waitFor({ state: 'detached' });
    await bob.page.getByRole('region', { name: 'Call' }).waitFor();

    for (const page of [alice.page, bob.page]) {
      await until(() => remoteMedia(page), { audio: true, video: true, playing: true }, 20_000);
      // The duration shows once connected.
      await eventually(async () => /^\d+:\d\d$/.test((await page.getByTestId('call-status').textContent()) ?? ''), { timeoutMs: 10_000, intervalMs: 100 });
      const muted = await page.locator('video[data-remote]').evaluate((v: HTMLVideoElement) => v.muted);
      expect(muted).toBe(false);
      expect(await page.locator('video[data-local]').evaluate((v: HTMLVideoElement) => v.muted)).toBe(true);
    }

    await saveScreenshot(alice.page, 'direct-call');
    // The controls switch and say so.
    await alice.page.getByRole('button', { name: 'Mute', exact: true }).click();
    await alice.page.getByRole('button', { name: 'Unmute', exact: true }).click();
    await alice.page.getByRole('button', { name: 'Camera off' }).click();
    await alice.page.getByRole('button', { name: 'Camera on' }).click();
  });

  it('Escape closes the call’s Devices panel and gives focus back to its button', async () => {
    const page = alice.page;
    const button = page.getByRole('button', { name: 'Devices' });
    const panel = page.getByRole('group', { name: 'Devices' });
    await button.click();
    await panel.waitFor();
    await panel.getByLabel('Microphone', { exact: true }).focus();
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached', timeout: 5000 });
    expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    // From the button itself too.
    await page.keyboard.press('Enter');
    await panel.waitFor();
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached', timeout: 5000 });
    // The call goes on.
    expect(await page.getByRole('region', { name: 'Call' }).count()).toBe(1);
  });

  it('Alice hangs up: the call goes away on both sides and the timeline shows each call once, with how it went', async () => {
    await alice.page.getByRole('button', { name: 'Hang up' }).click();
    await alice.page.getByRole('region', { name: 'Call' }).waitFor({ state: 'detached' });
    await bob.page.getByRole('region', { name: 'Call' }).waitFor({ state: 'detached', timeout: 15_000 });
    for (const page of [alice.page, bob.page]) {
      await eventually(async () => (await systemLines(page)).some((line) => /^Video call · \d+:\d\d · /.test(line)), { timeoutMs: 15_000, intervalMs: 100 });
      // One line per call, not one per started / answered / ended: the declined voice call, then the video call.
      const calls = (await systemLines(page)).filter((line) => / call/.test(line));
      expect(calls).toHaveLength(2);
      expect(calls[0]).toBe(page === alice.page ? 'Voice call declined' : 'You declined a voice call from Alice');
      expect(calls[1]).toMatch(page === alice.page ? /^Video call · \d+:\d\d · you and Bob$/ : /^Video call · \d+:\d\d · Alice and you$/);
    }
  });

  it('on a phone: the ringing bar keeps clear of the header, the call controls fit one row, and no screen sharing where the browser cannot', async () => {
    for (const page of [alice.page, bob.page]) await page.setViewportSize({ width: 360, height: 640 });
    // Bob's browser cannot share a screen, as phone browsers cannot.
    await bob.page.evaluate(() => delete (MediaDevices.prototype as { getDisplayMedia?: unknown }).getDisplayMedia);
    await alice.page.getByRole('button', { name: 'Video call' }).click();
    const ringing = bob.page.getByRole('dialog', { name: 'Incoming call' });
    await ringing.waitFor({ timeout: 15_000 });
    const ring = (await ringing.boundingBox())!;
    const header = (await bob.page.locator('.conversation-header').boundingBox())!;
    expect(ring.y, 'the ringing bar starts below the header').toBeGreaterThanOrEqual(header.y + header.height);
    expect(ring.x + ring.width).toBeLessThanOrEqual(360);
    await saveScreenshot(bob.page, 'phone-incoming-call');
    await ringing.getByRole('button', { name: 'Accept' }).click();

    for (const [page, share] of [[alice.page, 1], [bob.page, 0]] as const) {
      const call = page.getByRole('region', { name: 'Call' });
      await call.waitFor();
      expect(await call.getByRole('button', { name: 'Share screen' }).count()).toBe(share);
      const boxes = await call.locator('.call__controls > *').evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map((r) => ({ top: r.top, right: r.right })));
      expect(boxes.length).toBe(4 + share);
      expect(new Set(boxes.map((b) => Math.round(b.top))).size, 'one row').toBe(1);
      expect(Math.max(...boxes.map((b) => b.right))).toBeLessThanOrEqual(360);
      // The words are still the buttons' names.
      for (const name of ['Mute', 'Camera off', 'Devices', 'Hang up']) expect(await call.getByRole('button', { name }).count()).toBe(1);
    }
    await saveScreenshot(alice.page, 'phone-call');
    await alice.page.getByRole('button', { name: 'Hang up' }).click();
    await bob.page.getByRole('region', { name: 'Call' }).waitFor({ state: 'detached', timeout: 15_000 });
    for (const page of [alice.page, bob.page]) await page.setViewportSize({ width: 1200, height: 800 });
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('calls in the browser', suite);
else describe.skip(`calls in the browser (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
