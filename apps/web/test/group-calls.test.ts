import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedUser, type SeededUser } from './support/seed.ts';
import { conversationTitle, eventually, loginViaUi, openConversation, until } from './support/ui.ts';

/** Chromium's fake camera and microphone, granted without asking, and peer connections over loopback. */
const FAKE_MEDIA = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection'];

interface TileMedia {
  state: string;
  /** The remote audio track is live and receiving (a remote track is muted while no packets arrive). */
  audio: boolean;
  /** The remote video has a size, and new frames keep being decoded. */
  video: boolean;
}

/** Each remote participant's tile on a page: its state, and whether their audio and video arrive. */
function tiles(page: Page): Promise<Record<string, TileMedia>> {
  return page.evaluate(async () => {
    const receiving = (tracks: MediaStreamTrack[]) => tracks.some((t) => t.readyState === 'live' && !t.muted);
    const frames = (v: HTMLVideoElement | null) => v?.getVideoPlaybackQuality().totalVideoFrames ?? 0;
    const items = [...document.querySelectorAll<HTMLElement>('.call li[data-participant]')];
    const before = items.map((li) => frames(li.querySelector('video[data-remote]')));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const out: Record<string, { state: string; audio: boolean; video: boolean }> = {};
    items.forEach((li, i) => {
      const video = li.querySelector<HTMLVideoElement>('video[data-remote]');
      const stream = video?.srcObject instanceof MediaStream ? video.srcObject : null;
      out[li.dataset.participant!] = {
        state: li.dataset.state ?? '',
        audio: receiving(stream?.getAudioTracks() ?? []),
        video: !!video && !video.hidden && video.videoWidth > 0 && frames(video) > before[i]!,
      };
    });
    return out;
  });
}

function systemLines(page: Page): Promise<string[]> {
  return page.locator('.messages__list li.system-line').allTextContents();
}

const live: TileMedia = { state: 'connected', audio: true, video: true };

/**
 * Group calls in the web client, with three browser profiles and Chromium's
 * fake devices: a video call that grows into a full mesh, device choice,
 * someone leaving, someone declining, and the size limit.
 */
function suite(): void {
  let fixture: WebFixture;
  let ada: SeededUser, ben: SeededUser, cy: SeededUser;
  const people: Record<'ada' | 'ben' | 'cy', Person> = {} as never;
  const call = (page: Page) => page.getByRole('region', { name: 'Call' });
  const tile = (page: Page, user: SeededUser) => call(page).locator(`li[data-participant="${user.id}"]`);

  beforeAll(async () => {
    fixture = await startWebFixture({ args: FAKE_MEDIA });
    const base = fixture.url;
    [ada, ben, cy] = await Promise.all([seedUser(base, 'Ada Lovelace'), seedUser(base, 'Ben Okri'), seedUser(base, 'Cy Twombly')]);
    const [dee, eve] = await Promise.all([seedUser(base, 'Dee Dee'), seedUser(base, 'Eve Arnold')]);
    await seedConversation(base, ada, [ben, cy], 'Trio');
    await seedConversation(base, ada, [ben, cy, dee, eve], 'Big group');
    for (const [key, user] of [['ada', ada], ['ben', ben], ['cy', cy]] as const) {
      people[key] = await newPerson(fixture, { label: key });
      await loginViaUi(people[key].page, user.username);
      await openConversation(people[key].page, 'Trio');
    }
  }, 180_000);

  afterAll(async () => {
    await fixture?.close();
  });

  /** Accepts the call ringing on a page, after checking it names the caller and the group. */
  async function acceptOn(page: Page, kind: string): Promise<void> {
    const ringing = page.getByRole('dialog', { name: 'Incoming call' });
    await ringing.waitFor({ timeout: 15_000 });
    expect(await ringing.locator('.incoming-call__text').textContent()).toBe(`Ada Lovelace@${ada.username}${kind} in Trio`);
    await ringing.getByRole('button', { name: 'Accept' }).click();
    await ringing.waitFor({ state: 'detached' });
    await call(page).waitFor();
  }

  it('Ada starts a video call in the group; Ben and Cy accept; every pair sends the other audio and video', async () => {
    const { ada: a, ben: b, cy: c } = people;
    await a.page.getByRole('button', { name: 'Video call' }).click();
    await call(a.page).waitFor();
    await until(async () => [await tile(a.page, ben).getAttribute('data-state'), await tile(a.page, cy).getAttribute('data-state')], ['ringing', 'ringing']);
    expect(await tile(a.page, ben).locator('.call-tile__caption').textContent()).toBe('Ben OkriRinging…');

    await acceptOn(b.page, 'Video call');
    await acceptOn(c.page, 'Video call');

    // Ada called Ben and Cy only: the Ben–Cy leg is the mesh growing by itself.
    await until(() => tiles(a.page), { [ben.id]: live, [cy.id]: live }, 30_000);
    await until(() => tiles(b.page), { [ada.id]: live, [cy.id]: live }, 30_000);
    await until(() => tiles(c.page), { [ada.id]: live, [ben.id]: live }, 30_000);
    for (const { page } of [a, b, c]) {
      await eventually(async () => /^\d+:\d\d$/.test((await page.getByTestId('call-status').textContent()) ?? ''), { timeoutMs: 10_000, intervalMs: 100 });
      expect(await page.locator('video[data-local]').evaluate((v: HTMLVideoElement) => v.muted && v.videoWidth > 0)).toBe(true);
      expect(await call(page).getByRole('list', { name: 'Participants' }).getByRole('listitem').count()).toBe(3);
    }

    // Muting shows on the others' tiles (told peer to peer).
    await c.page.getByRole('button', { name: 'Mute', exact: true }).click();
    await eventually(async () => (await tile(a.page, cy).getAttribute('aria-label')) === 'Cy Twombly: Connected, muted', { timeoutMs: 10_000 });
    await saveScreenshot(a.page, 'group-call');
    await a.page.setViewportSize({ width: 390, height: 844 });
    await saveScreenshot(a.page, 'group-call-phone');
    await a.page.setViewportSize({ width: 1200, height: 800 });
    await c.page.getByRole('button', { name: 'Unmute', exact: true }).click();
    await eventually(async () => (await tile(a.page, cy).getAttribute('aria-label')) === 'Cy Twombly: Connected', { timeoutMs: 10_000 });
  }, 120_000);

  it('Ada picks a microphone and a camera from the call’s devices; the switch goes through and media keeps flowing', async () => {
    const page = people.ada.page;
    const trackIds = () =>
      page.locator('video[data-local]').evaluate((v: HTMLVideoElement) => (v.srcObject as MediaStream).getTracks().map((t) => `${t.kind}:${t.id}`).sort());
    const before = await trackIds();
    const devices = await page.evaluate(async () => (await navigator.mediaDevices.enumerateDevices()).map((d) => ({ kind: d.kind, id: d.deviceId, label: d.label })));
    await page.getByRole('button', { name: 'Devices' }).click();
    const panel = page.getByRole('group', { name: 'Devices' });
    for (const [label, kind] of [['Microphone', 'audioinput'], ['Camera', 'videoinput']] as const) {
      const select = panel.getByLabel(label, { exact: true });
      const readOptions = () => select.locator('option').evaluateAll((os: HTMLOptionElement[]) => os.map((o) => ({ value: o.value, text: o.text })));
      // The select lists this device's microphones (or cameras), by name: Chromium's fake ones here.
      // (The panel enumerates devices when it opens: wait for the list.)
      const present = devices.filter((d) => d.kind === kind && d.id !== '');
      expect(present.length).toBeGreaterThanOrEqual(1);
      await until(async () => (await readOptions()).filter((o) => o.value !== '').map((o) => [o.value, o.text]), present.map((d) => [d.id, d.label]));
      const options = await readOptions();
      // Another device when there is one, else the same one again (still a fresh track).
      const current = await select.inputValue();
      const choice = options.filter((o) => o.value !== '').find((o) => o.value !== current) ?? options.find((o) => o.value !== '')!;
      await select.selectOption(choice.value);
      await until(() => select.inputValue(), choice.value);
    }
    await saveScreenshot(page, 'group-call-devices');
    await page.getByRole('button', { name: 'Devices' }).click();
    expect(await page.getByRole('alert').count()).toBe(0);
    // Both tracks were replaced...
    const after = await trackIds();
    expect(after).toHaveLength(2);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    // ...and the others still receive Ada's audio and video.
    for (const other of [people.ben.page, people.cy.page]) {
      await until(async () => (await tiles(other))[ada.id], live, 20_000);
    }
  }, 60_000);

  it('Ada shares her screen with everyone, and her camera comes back when she stops', async () => {
    const page = people.ada.page;
    await page.getByRole('button', { name: 'Share screen' }).click();
    await page.getByRole('button', { name: 'Stop sharing', pressed: true }).waitFor({ timeout: 10_000 });
    // The others get the screen (the page's 1200×676, however scaled) instead of the 4:3 fake camera.
    const shape = (other: Page) =>
      tile(other, ada)
        .locator('video[data-remote]')
        .evaluate((v: HTMLVideoElement) => (v.videoHeight === 0 ? 'none' : v.videoWidth / v.videoHeight > 1.5 ? 'screen' : 'camera'));
    for (const other of [people.ben.page, people.cy.page]) {
      await until(() => shape(other), 'screen', 20_000);
      await until(async () => (await tiles(other))[ada.id], live, 20_000);
    }
    await page.getByRole('button', { name: 'Stop sharing' }).click();
    await page.getByRole('button', { name: 'Share screen', pressed: false }).waitFor();
    for (const other of [people.ben.page, people.cy.page]) await until(() => shape(other), 'camera', 20_000);
    expect(await page.getByRole('alert').count()).toBe(0);
  }, 60_000);

  it('Cy hangs up: Ada and Ben keep talking, their tiles for Cy say Left, and the timeline says the call ended only when it has', async () => {
    const { ada: a, ben: b, cy: c } = people;
    const ended = (lines: string[]) => lines.filter((line) => /^Video call · \d+:\d\d · /.test(line));
    const inProgress = (lines: string[]) => lines.filter((line) => /^Video call in progress · /.test(line));
    await c.page.getByRole('button', { name: 'Hang up' }).click();
    await call(c.page).waitFor({ state: 'detached' });
    for (const [page, other] of [[a.page, ben], [b.page, ada]] as const) {
      await until(async () => [await tile(page, cy).getAttribute('data-state'), (await tile(page, cy).locator('.call-tile__caption').textContent()) ?? ''], ['left', 'Cy TwomblyLeft'], 15_000);
      await until(async () => (await tiles(page))[other.id], live, 15_000);
    }
    // The server logs a leg's end before it tells the parties, so by now a "Call ended" would be here.
    for (const { page } of [a, b, c]) {
      // One line for the whole call, still going: not a line per leg.
      const lines = await systemLines(page);
      expect(inProgress(lines)).toHaveLength(1);
      expect(ended(lines)).toEqual([]);
    }

    // Ada hangs up too: nobody remains for Ben, so his call ends, and now the timeline says so, once.
    await a.page.getByRole('button', { name: 'Hang up' }).click();
    await call(a.page).waitFor({ state: 'detached' });
    await call(b.page).waitFor({ state: 'detached', timeout: 15_000 });
    for (const { page } of [a, b, c]) {
      await eventually(async () => ended(await systemLines(page)).length > 0, { timeoutMs: 15_000, intervalMs: 100 });
      expect(ended(await systemLines(page))).toHaveLength(1);
      expect(inProgress(await systemLines(page))).toEqual([]);
    }
  }, 60_000);

  it('Ben declines a voice call: Ada and Cy talk without him, and he is not rung again', async () => {
    const { ada: a, ben: b, cy: c } = people;
    await a.page.getByRole('button', { name: 'Voice call' }).click();
    await call(a.page).waitFor();
    const ringing = b.page.getByRole('dialog', { name: 'Incoming call' });
    await ringing.waitFor({ timeout: 15_000 });
    expect(await ringing.locator('.incoming-call__text').textContent()).toBe(`Ada Lovelace@${ada.username}Voice call in Trio`);
    await b.page.setViewportSize({ width: 390, height: 844 });
    await saveScreenshot(b.page, 'group-call-incoming-phone');
    await b.page.setViewportSize({ width: 1200, height: 800 });
    await ringing.getByRole('button', { name: 'Decline' }).click();
    await acceptOn(c.page, 'Voice call');

    const voice: TileMedia = { state: 'connected', audio: true, video: false };
    await until(async () => (await tiles(a.page))[cy.id], voice, 30_000);
    await until(() => tiles(c.page), { [ada.id]: voice }, 30_000);
    await until(async () => [await tile(a.page, ben).getAttribute('data-state'), (await tile(a.page, ben).locator('.call-tile__caption').textContent()) ?? ''], ['left', 'Ben OkriDeclined']);
    // A voice call shows initials, not video.
    expect(await tile(c.page, ada).locator('.avatar').textContent()).toBe('AL');
    await saveScreenshot(a.page, 'group-voice-call-declined');
    expect(await ringing.count()).toBe(0);
    expect(await call(b.page).count()).toBe(0);
    await eventually(async () => (await systemLines(a.page)).some((l) => /^Voice call in progress · .* · Ben Okri declined$/.test(l)), { timeoutMs: 10_000, intervalMs: 100 });

    // Ben changes his mind: the call in progress offers him Join, and he joins Ada and Cy without ringing them.
    const join = b.page.locator('li.call-entry[data-call-state="live"]').getByRole('button', { name: 'Join' });
    await join.click();
    await call(b.page).waitFor();
    await until(async () => (await tiles(b.page))[ada.id], voice, 30_000);
    await until(async () => (await tiles(b.page))[cy.id], voice, 30_000);
    expect(await c.page.getByRole('dialog', { name: 'Incoming call' }).count()).toBe(0);
    expect(await join.count()).toBe(0);

    for (const p of [c.page, b.page]) await p.getByRole('button', { name: 'Hang up' }).click();
    await call(a.page).waitFor({ state: 'detached', timeout: 15_000 });
    expect(await ringing.count()).toBe(0);
    // Still one line for the call, with everyone who was in it.
    await eventually(async () => (await systemLines(a.page)).some((l) => /^Voice call · \d+:\d\d · you, Cy Twombly and Ben Okri · Ben Okri declined$/.test(l)), { timeoutMs: 15_000, intervalMs: 100 });
  }, 60_000);

  it('keeps the call buttons off in a group of more than four, and says why', async () => {
    const page = people.ada.page;
    await openConversation(page, 'Big group');
    await conversationTitle(page, 'Big group').waitFor();
    for (const name of ['Voice call', 'Video call']) {
      const button = page.getByRole('button', { name });
      expect(await button.isDisabled()).toBe(true);
      expect(await button.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent)).toBe(
        'Group calls take up to 4 people, and this group has 5.',
      );
    }
    expect(await page.getByTestId('conversation-subtitle').textContent()).toBe('5 members · calls up to 4');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('group calls in the browser', suite);
else describe.skip(`group calls in the browser (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
