import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, WEB_DIR, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { conversationTitle, listItem, loginViaUi, messageTexts, openConversation, send, statusOf, typingText, unreadBadge, until } from './support/ui.ts';

/**
 * The README's picture of the app, a tracked file: rewritten only when asked
 * (PARLEY_DOCS_SCREENSHOT=1), so that test runs leave the work tree alone.
 */
const README_SCREENSHOT = join(WEB_DIR, '..', '..', 'docs', 'screenshot-conversation.png');
const UPDATE_README_SCREENSHOT = process.env.PARLEY_DOCS_SCREENSHOT === '1';

const shoot = saveScreenshot;

/** Horizontal overflow makes a phone page scroll sideways: nothing may be wider than the viewport. */
function overflowsX(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

/**
 * The main screens with a realistic scene (set up over REST), on a desktop
 * and at 360 px: each is checked, then saved under test-artifacts/.
 */
function suite(): void {
  let fixture: WebFixture;
  let maya: SeededUser;
  let jonas: SeededUser;
  let priya: SeededUser;
  let sam: SeededUser;
  let jonasBrowser: Person;

  beforeAll(async () => {
    fixture = await startWebFixture();
    const base = fixture.url;
    [maya, jonas, priya] = await Promise.all([seedUser(base, 'Maya Chen'), seedUser(base, 'Jonas Weber'), seedUser(base, 'Priya Patel')]);
    sam = await seedUser(base, 'Sam Okafor');

    const trip = await seedConversation(base, maya, [jonas, priya, sam], 'Weekend trip');
    await seedMessage(base, jonas, trip.id, 'Train tickets are booked for Saturday 9:12');
    await seedMessage(base, sam, trip.id, 'Perfect, I will bring the board games');

    const withPriya = await seedConversation(base, priya, [maya]);
    await seedMessage(base, priya, withPriya.id, 'Are we still on for lunch tomorrow?');
    await seedMessage(base, priya, withPriya.id, 'I found a new ramen place near the office');

    const withJonas = await seedConversation(base, jonas, [maya]);
    await seedMessage(base, jonas, withJonas.id, 'Morning! Did you get a chance to look at the release notes?');
    await seedMessage(base, maya, withJonas.id, 'Yes, they look good. One thing: the upgrade guide link is broken');
    await seedMessage(base, jonas, withJonas.id, 'Good catch. Fixed, it is https://parley.example/docs/upgrade now');
    await seedMessage(base, jonas, withJonas.id, 'Can you give it a last read before we ship?');

    // Jonas has Parley open on his laptop: he is online and reads what Maya sends.
    jonasBrowser = await newPerson(fixture, { label: 'jonas' });
    await loginViaUi(jonasBrowser.page, jonas.username);
    await openConversation(jonasBrowser.page, 'Maya Chen');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('login screen', async () => {
    const { page, context } = await newPerson(fixture, { label: 'login', width: 1100, height: 720 });
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(await page.getByLabel('Username').evaluate((el) => el === document.activeElement)).toBe(true);
    await shoot(page, 'login');
    await context.close();
  });

  it('conversation list and conversation view on a desktop', async () => {
    const { page } = await newPerson(fixture, { label: 'maya', width: 1100, height: 680 });
    await loginViaUi(page, maya.username);
    await until(() => unreadBadge(page, 'Priya Patel'), '2');
    await until(() => unreadBadge(page, 'Weekend trip'), '2');
    await until(() => unreadBadge(page, 'Jonas Weber'), '2');
    // Jonas is online: his row has a green dot.
    await listItem(page, 'Jonas Weber').locator('.presence-dot--online').waitFor();
    await shoot(page, 'conversation-list');

    await openConversation(page, 'Jonas Weber');
    await page.locator('[data-testid="conversation-subtitle"]', { hasText: 'online' }).waitFor();
    await send(page, 'Reading it now. The new reconnect banner looks great');
    await until(() => statusOf(page, 'Reading it now'), 'read');
    await jonasBrowser.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Thanks!', { delay: 15 });
    await until(() => typingText(page), 'Jonas Weber is typing…');
    await until(() => messageTexts(page), [
      'Morning! Did you get a chance to look at the release notes?',
      'Yes, they look good. One thing: the upgrade guide link is broken',
      'Good catch. Fixed, it is https://parley.example/docs/upgrade now',
      'Can you give it a last read before we ship?',
      'Reading it now. The new reconnect banner looks great',
    ]);
    const link = page.getByRole('link', { name: 'https://parley.example/docs/upgrade' });
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    await shoot(page, 'conversation');
    if (UPDATE_README_SCREENSHOT) await page.screenshot({ path: README_SCREENSHOT, animations: 'disabled', caret: 'hide' });
    await page.context().close();
  });

  it('phone width (360 px): one pane at a time, Back returns to the list, nothing overflows', async () => {
    const { page, context } = await newPerson(fixture, { label: 'maya-phone', width: 360, height: 740 });
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(await overflowsX(page)).toBe(false);
    await shoot(page, 'phone-login');

    await loginViaUi(page, maya.username);
    await listItem(page, 'Jonas Weber').locator('.presence-dot--online').waitFor();
    expect(await page.locator('.chat__main').isVisible()).toBe(false);
    expect(await overflowsX(page)).toBe(false);
    await shoot(page, 'phone-conversation-list');

    await openConversation(page, 'Weekend trip');
    expect(await page.locator('.sidebar').isVisible()).toBe(false);
    await until(() => messageTexts(page), ['Train tickets are booked for Saturday 9:12', 'Perfect, I will bring the board games']);
    // Group messages name their senders, with their usernames.
    expect(await page.locator('.bubble__sender').allTextContents()).toEqual([`Jonas Weber @${jonas.username}`, `Sam Okafor @${sam.username}`]);
    expect(await overflowsX(page)).toBe(false);
    await shoot(page, 'phone-conversation');

    await page.getByRole('button', { name: 'Back to conversations' }).click();
    await conversationTitle(page, 'Weekend trip').waitFor({ state: 'detached' });
    expect(await page.locator('.sidebar').isVisible()).toBe(true);
    await context.close();
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('main screens', suite);
else describe.skip(`main screens (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
