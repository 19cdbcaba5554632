import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { conversationTitle, loginViaUi, openConversation, send, unnamedControls, until } from './support/ui.ts';

/** The open conversation's message (li) whose own text (not a quote's) contains `text`. */
function messageWith(page: Page, text: string): Locator {
  return page.locator('.messages__list li.message', { has: page.locator('.bubble__text', { hasText: text }) });
}

/** Opens a message's action sheet with its "More actions" button, and returns the sheet. */
async function openSheet(page: Page, message: Locator): Promise<Locator> {
  await message.hover();
  await message.getByRole('button', { name: 'More actions' }).click();
  const sheet = page.getByRole('dialog', { name: 'Message actions' });
  await sheet.waitFor();
  return sheet;
}

/** The names of the actions a sheet offers. */
async function sheetActions(sheet: Locator): Promise<string[]> {
  return (await sheet.locator('.action-sheet__button').allTextContents()).map((t) => t.trim());
}

/**
 * Replies with quotes, reactions, edits, deletes and message links, between
 * two people in two browser profiles, plus the long press on a phone and
 * formatting that renders without letting markup in.
 */
function suite(): void {
  let fixture: WebFixture;
  let ann: SeededUser;
  let ben: SeededUser;
  let annBrowser: Person;
  let benBrowser: Person;
  let conversationId: string;
  const original = 'Where is the **deploy** config?';

  beforeAll(async () => {
    fixture = await startWebFixture();
    [ann, ben] = await Promise.all([seedUser(fixture.url, 'Ann Asker'), seedUser(fixture.url, 'Ben Builder')]);
    const chat = await seedConversation(fixture.url, ben, [ann]);
    conversationId = chat.id;
    // The message replied to is the oldest, far above what the conversation first loads.
    await seedMessage(fixture.url, ben, chat.id, original);
    // 70 is more than the newest page the client loads first (50).
    for (let i = 0; i < 70; i++) await seedMessage(fixture.url, i % 2 ? ben : ann, chat.id, `filler line ${i}`);
    annBrowser = await newPerson(fixture, { label: 'ann' });
    benBrowser = await newPerson(fixture, { label: 'ben' });
    await annBrowser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fixture.url });
    await Promise.all([loginViaUi(annBrowser.page, ann.username), loginViaUi(benBrowser.page, ben.username)]);
    await openConversation(benBrowser.page, 'Ann Asker');
  }, 240_000);

  afterAll(async () => {
    await fixture?.close();
  });

  it("opens a message's link at that message, and Copy link gives that link", async () => {
    const { page } = annBrowser;
    await page.goto(`/c/${conversationId}?m=1`);
    await conversationTitle(page, 'Ben Builder').waitFor({ timeout: 15_000 });
    const first = page.locator('.messages__list li[data-seq="1"]');
    await first.waitFor({ timeout: 15_000 });
    await until(() => first.isVisible(), true);
    await until(async () => (await first.getAttribute('class'))?.includes('message--found') ?? false, true);

    const sheet = await openSheet(page, first);
    // Not Ann's message, and a direct chat has no admins: no Edit, no Delete; she may report it.
    expect(await sheetActions(sheet)).toEqual(['Reply', 'Reply in thread', 'Add reaction', 'Copy text', 'Copy link', 'Pin', 'Report']);
    await sheet.getByRole('button', { name: 'Copy link' }).click();
    await until(async () => (await page.getByTestId('action-notice').textContent())?.trim(), 'Link copied.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${fixture.url}/c/${conversationId}?m=1`);
  });

  it('replies with a quote; the other side sees it, and the quote leads back to the original through older history', async () => {
    const { page } = annBrowser;
    const first = page.locator('.messages__list li[data-seq="1"]');
    await first.hover();
    await first.getByRole('button', { name: 'Reply', exact: true }).click();
    const banner = page.locator('.composer__reply');
    expect((await banner.textContent())?.trim()).toBe('Replying to Ben Builder: Where is the deploy config?');
    // The reply action puts the cursor in the composer.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Message');
    await page.keyboard.type('In the ops repo');
    await saveScreenshot(page, 'message-reply-composer');
    await page.keyboard.press('Enter');
    await banner.waitFor({ state: 'detached' });

    const reply = messageWith(benBrowser.page, 'In the ops repo');
    await reply.waitFor();
    const quote = reply.locator('.reply-quote');
    expect(await quote.locator('.reply-quote__name').textContent()).toBe('You');
    expect(await quote.locator('.reply-quote__text').textContent()).toBe('Where is the deploy config?');
    // Ben opened the conversation at its newest page: the original is not loaded yet.
    const originalRow = benBrowser.page.locator('.messages__list li[data-seq="1"]');
    expect(await originalRow.count()).toBe(0);
    await saveScreenshot(benBrowser.page, 'message-reply-quote');
    await quote.click();
    await originalRow.waitFor({ timeout: 15_000 });
    await until(async () => (await originalRow.getAttribute('class'))?.includes('message--found') ?? false, true);
    await until(() => originalRow.isVisible(), true);
  });

  it("shows the hover toolbar right beside its bubble, on the side towards the middle, for my messages and others'", async () => {
    const { page } = annBrowser;
    for (const [text, mine] of [['In the ops repo', true], ['Where is the deploy config?', false]] as const) {
      const row = messageWith(page, text);
      await row.scrollIntoViewIfNeeded();
      await row.hover();
      const toolbar = row.getByRole('toolbar', { name: 'Message actions' });
      await until(async () => (await toolbar.evaluate((el) => getComputedStyle(el).opacity)) === '1', true);
      const bubble = (await row.locator('.bubble').boundingBox())!;
      const bar = (await toolbar.boundingBox())!;
      // Mine sit on the right, so the toolbar goes on the bubble's left; others' on its right. A few pixels apart, not across the row.
      const gap = mine ? bubble.x - (bar.x + bar.width) : bar.x - (bubble.x + bubble.width);
      expect(gap, text).toBeGreaterThanOrEqual(0);
      expect(gap, text).toBeLessThanOrEqual(12);
      expect(bar.y, text).toBeGreaterThanOrEqual(bubble.y - 1);
      expect(bar.y, text).toBeLessThan(bubble.y + bubble.height);
    }
  });

  it('reacts: the other side sees the emoji, its count and who; a second click takes it back', async () => {
    const reply = messageWith(benBrowser.page, 'In the ops repo');
    await reply.scrollIntoViewIfNeeded();
    await reply.hover();
    await reply.getByRole('button', { name: 'Add reaction' }).click();
    const picker = benBrowser.page.getByRole('dialog', { name: 'Add a reaction' });
    await picker.getByLabel('Search emoji').fill('rocket');
    await picker.getByRole('button', { name: 'rocket launch ship' }).click();
    await picker.waitFor({ state: 'detached' });

    const chip = messageWith(annBrowser.page, 'In the ops repo').locator('button.reaction[data-emoji="🚀"]');
    await chip.waitFor();
    expect(await chip.locator('.reaction__count').textContent()).toBe('1');
    expect(await chip.getAttribute('title')).toBe('Ben Builder');
    expect(await chip.getAttribute('aria-pressed')).toBe('false');
    const benChip = reply.locator('button.reaction[data-emoji="🚀"]');
    expect(await benChip.getAttribute('aria-pressed')).toBe('true');
    expect(await benChip.getAttribute('title')).toBe('you');

    // Ann adds hers with a click on the chip: two, both named.
    await chip.click();
    await until(async () => [await benChip.locator('.reaction__count').textContent(), await benChip.getAttribute('title')], ['2', 'Ann Asker and you']);
    await saveScreenshot(annBrowser.page, 'message-reactions');
    // Quotes, reactions and every message's action buttons have names a screen reader can read out.
    expect(await unnamedControls(annBrowser.page)).toEqual([]);
    expect(await unnamedControls(benBrowser.page)).toEqual([]);

    // Ben takes his back: one left, Ann's.
    await benChip.click();
    await until(async () => [await chip.locator('.reaction__count').textContent(), await chip.getAttribute('title')], ['1', 'you']);
    // And Ann hers: the chip goes.
    await chip.click();
    await until(() => benChip.count(), 0);
  });

  it("edits in place (Enter saves, Escape cancels); the other side sees the new text as edited; others' messages have no Edit", async () => {
    const { page } = annBrowser;
    // By seq: while it is edited, its text is an editor.
    const seq = await messageWith(page, 'In the ops repo').getAttribute('data-seq');
    const mine = page.locator(`.messages__list li[data-seq="${seq}"]`);
    let sheet = await openSheet(page, mine);
    expect(await sheetActions(sheet)).toEqual(['Reply', 'Reply in thread', 'Add reaction', 'Edit', 'Copy text', 'Copy link', 'Pin', 'Delete']);
    await sheet.getByRole('button', { name: 'Edit' }).click();
    const editor = mine.getByRole('textbox', { name: 'Edit message' });
    await editor.waitFor();
    await until(() => editor.evaluate((el) => el === document.activeElement), true);
    await editor.fill('Throwaway');
    await editor.press('Escape');
    await editor.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('More actions');
    expect(await mine.locator('.bubble__text').textContent()).toBe('In the ops repo');

    sheet = await openSheet(page, mine);
    await sheet.getByRole('button', { name: 'Edit' }).click();
    await editor.fill('In the _infra_ repo');
    await editor.press('Enter');
    const seen = benBrowser.page.locator('.messages__list li.message', { has: benBrowser.page.locator('.bubble__text', { hasText: 'In the infra repo' }) });
    await seen.waitFor();
    expect(await seen.locator('.bubble__text em').textContent()).toBe('infra');
    expect((await seen.locator('.bubble__edited').textContent())?.trim()).toBe('edited');

    // Ben is not the author: no Edit, no Delete on Ann's message.
    const benSheet = await openSheet(benBrowser.page, seen);
    expect(await sheetActions(benSheet)).toEqual(['Reply', 'Reply in thread', 'Add reaction', 'Copy text', 'Copy link', 'Pin', 'Report']);
    await benBrowser.page.keyboard.press('Escape');
    await benSheet.waitFor({ state: 'detached' });
  });

  it('deletes after a confirmation; the other side sees "message deleted"', async () => {
    const { page } = annBrowser;
    const mine = messageWith(page, 'In the infra repo');
    const seq = await mine.getAttribute('data-seq');
    const sheet = await openSheet(page, mine);
    await sheet.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete message?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await confirm.waitFor({ state: 'detached' });
    const gone = benBrowser.page.locator(`.messages__list li[data-seq="${seq}"]`);
    await until(async () => (await gone.locator('.bubble__deleted').count()) === 1 && (await gone.locator('.bubble__text').count()) === 0, true);
    expect(await gone.locator('.bubble__deleted').textContent()).toBe('message deleted');
    // A deleted message offers only its link.
    const benSheet = await openSheet(benBrowser.page, gone);
    expect(await sheetActions(benSheet)).toEqual(['Copy link']);
    await benBrowser.page.keyboard.press('Escape');
  });

  it('reaches the actions with the keyboard: More actions opens the sheet, Escape returns focus to it', async () => {
    const { page } = annBrowser;
    const last = page.locator('.messages__list li.message').last();
    const more = last.getByRole('button', { name: 'More actions' });
    await more.focus();
    // Focus in the message shows its toolbar.
    expect(await last.locator('.message-toolbar').evaluate((el) => getComputedStyle(el).opacity)).toBe('1');
    await page.keyboard.press('Enter');
    const sheet = page.getByRole('dialog', { name: 'Message actions' });
    await sheet.waitFor();
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('More actions');
  });

  it('renders bold and code, and markup stays text', async () => {
    await send(benBrowser.page, '**Heads up**: run `npm ci` <script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1">');
    const seen = messageWith(annBrowser.page, 'Heads up');
    await seen.waitFor();
    expect(await seen.locator('.bubble__text strong').textContent()).toBe('Heads up');
    expect(await seen.locator('.bubble__text code').textContent()).toBe('npm ci');
    expect(await seen.locator('.bubble__text').textContent()).toBe('Heads up: run npm ci <script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1">');
    expect(await seen.locator('script, img').count()).toBe(0);
    expect(await annBrowser.page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('opens the actions with a long press on a phone', async () => {
    const context = await fixture.browser.newContext({
      baseURL: fixture.url,
      viewport: { width: 390, height: 844 },
      hasTouch: true,
      isMobile: true,
      deviceScaleFactor: 1,
      reducedMotion: 'reduce',
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => fixture.problems.push(`phone: page error: ${err.message}`));
    await page.goto('/');
    await loginViaUi(page, ben.username);
    await openConversation(page, 'Ann Asker');
    const target = messageWith(page, 'Heads up').locator('.bubble');
    await target.waitFor();
    const box = (await target.boundingBox())!;
    const point = { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
    const cdp = await context.newCDPSession(page);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
    // The finger stays down until the sheet shows.
    const sheet = page.getByRole('dialog', { name: 'Message actions' });
    await sheet.waitFor();
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    expect(await sheetActions(sheet)).toEqual(['Reply', 'Reply in thread', 'Add reaction', 'Edit', 'Copy text', 'Copy link', 'Pin', 'Delete']);
    await saveScreenshot(page, 'phone-message-actions');
    await sheet.getByRole('button', { name: 'Add reaction' }).click();
    const picker = page.getByRole('dialog', { name: 'Add a reaction' });
    await picker.getByRole('list', { name: 'Frequently used' }).getByRole('button', { name: 'thumbs up' }).click();
    await messageWith(annBrowser.page, 'Heads up').locator('button.reaction[data-emoji="👍"]').waitFor();
    await context.close();
  });

  it("lets a group's admin delete anyone's message, and a member only their own", async () => {
    // Ben made the group, so he is its admin; Ann is a member.
    const group = await seedConversation(fixture.url, ben, [ann], 'Release crew');
    await seedMessage(fixture.url, ann, group.id, 'ann in the group');
    await seedMessage(fixture.url, ben, group.id, 'ben in the group');
    await openConversation(benBrowser.page, 'Release crew');
    await openConversation(annBrowser.page, 'Release crew');

    const benSheet = await openSheet(benBrowser.page, messageWith(benBrowser.page, 'ann in the group'));
    expect(await sheetActions(benSheet)).toEqual(['Reply', 'Reply in thread', 'Add reaction', 'Copy text', 'Copy link', 'Pin', 'Report', 'Delete']);
    await benSheet.getByRole('button', { name: 'Delete' }).click();
    const confirm = benBrowser.page.getByRole('dialog', { name: 'Delete message?' });
    expect(await confirm.textContent()).toContain("Ann Asker's message");
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await until(() => annBrowser.page.locator('.messages__list li.message .bubble__deleted').count(), 1);

    const annSheet = await openSheet(annBrowser.page, messageWith(annBrowser.page, 'ben in the group'));
    expect(await sheetActions(annSheet)).toEqual(['Reply', 'Reply in thread', 'Add reaction', 'Copy text', 'Copy link', 'Report']);
    await annBrowser.page.keyboard.press('Escape');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('message actions: replies, reactions, edits, deletes, links, formatting', suite);
else describe.skip(`message actions (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
