import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../../packages/server/test/support/harness.ts';
import { TestSocket } from '../../../packages/server/test/support/test-socket.ts';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { eventually, listItem, loginViaUi, openConversation, PASSWORD, send, until } from './support/ui.ts';

const settingsDialog = (page: Page) => page.getByRole('dialog', { name: 'Settings' });

async function openSettings(page: Page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  await settingsDialog(page).waitFor();
  return settingsDialog(page);
}

/** The page's background colour, as the browser computed it. */
const background = (page: Page) => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
const LIGHT_BG = 'rgb(244, 245, 250)';
const DARK_BG = 'rgb(13, 15, 23)';

/**
 * Records each desktop notification the page creates, on top of the real
 * Notification API (a test instrument: the notification is still shown), and
 * lets the test say the tab is hidden, as when the person is in another tab.
 */
const INSTRUMENT = `
  window.__notifications = [];
  const Real = window.Notification;
  window.Notification = class extends Real {
    constructor(title, options) { super(title, options); window.__notifications.push({ title, body: options && options.body, tag: options && options.tag }); }
  };
  window.__hidden = false;
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden });
`;
const shown = (page: Page) => page.evaluate(() => (window as unknown as { __notifications: Array<{ title: string; body: string }> }).__notifications);
const hideTab = (page: Page, hidden: boolean) => page.evaluate((h) => ((window as unknown as { __hidden: boolean }).__hidden = h), hidden);

/** Day one with settings: name, password, theme, notifications, grouped times, and who has read a message. */
function suite(): void {
  let fixture: WebFixture;
  let sol: SeededUser;
  let tom: SeededUser;
  let una: SeededUser;
  let group: { id: string };
  let direct: { id: string };

  beforeAll(async () => {
    fixture = await startWebFixture();
    [sol, tom, una] = await Promise.all([seedUser(fixture.url, 'Sol Settings'), seedUser(fixture.url, 'Tom Reader'), seedUser(fixture.url, 'Una Away')]);
    direct = await seedConversation(fixture.url, tom, [sol]);
    group = await seedConversation(fixture.url, sol, [tom, una], 'Readers');
  });

  afterAll(async () => {
    const problems = fixture?.problems ?? [];
    await fixture?.close();
    expect(problems).toEqual([]);
  });

  it('changes the display name from Settings: the sidebar shows it at once and the server has it', async () => {
    const { page, context } = await newPerson(fixture, { label: 'sol-name' });
    await loginViaUi(page, sol.username);
    const dialog = await openSettings(page);
    const field = dialog.getByLabel('Display name');
    expect(await field.inputValue()).toBe('Sol Settings');
    await field.fill('   ');
    await dialog.getByRole('button', { name: 'Save name' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Your name cannot be blank.' }).waitFor();
    await field.fill('Sol Renamed');
    await dialog.getByRole('button', { name: 'Save name' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await saveScreenshot(page, 'settings');
    await page.keyboard.press('Escape');
    await until(() => page.locator('.sidebar__me-name').textContent(), 'Sol Renamed');
    expect((await api(fixture.url, 'GET', `/api/v1/users/${sol.id}`, { token: tom.token })).body.display_name).toBe('Sol Renamed');
    // A reload keeps it (the stored session holds the new name).
    await page.reload();
    await until(() => page.locator('.sidebar__me-name').textContent(), 'Sol Renamed');
    await context.close();
  });

  it('changes the password: a wrong current one is refused in words; afterwards this device stays signed in and the old password no longer works', async () => {
    const pat = await seedUser(fixture.url, 'Pat Password');
    await seedConversation(fixture.url, pat, [tom]);
    const { page, context } = await newPerson(fixture, { label: 'pat' });
    await loginViaUi(page, pat.username);
    const refused: string[] = [];
    page.on('response', (r) => r.status() === 401 && refused.push(`${r.request().method()} ${new URL(r.url()).pathname}`));
    const dialog = await openSettings(page);
    await dialog.getByLabel('Current password').fill('not my password');
    await dialog.getByLabel('New password', { exact: true }).fill('a brand new secret');
    await dialog.getByLabel('New password again').fill('a brand new secret');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'That is not your current password.' }).waitFor();

    await dialog.getByLabel('New password again').fill('a different one!');
    await dialog.getByLabel('Current password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The two new passwords are not the same.' }).waitFor();

    await dialog.getByLabel('New password again').fill('a brand new secret');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
    await page.keyboard.press('Escape');
    // The wrong current password was the only request refused: no renewal on the revoked session.
    expect(refused).toEqual(['POST /api/v1/auth/password']);
    const expected = fixture.problems.filter((p) => p.startsWith('pat: console: Failed to load resource: the server responded with a status of 401'));
    expect(expected).toHaveLength(1);
    fixture.problems.splice(fixture.problems.indexOf(expected[0]!), 1);

    const login = (password: string) => api(fixture.url, 'POST', '/api/v1/auth/login', { body: { username: pat.username, password } });
    expect((await login(PASSWORD)).status).toBe(401);
    expect((await login('a brand new secret')).status).toBe(200);
    // Still signed in here, on the new session: a message goes out and is stored.
    await openConversation(page, 'Tom Reader');
    await send(page, 'sent after the password change');
    await page.locator('li.message--mine[data-status="sent"], li.message--mine[data-status="delivered"], li.message--mine[data-status="read"]').filter({ hasText: 'sent after the password change' }).waitFor({ timeout: 15_000 });
    await context.close();
  });

  it('themes: the system choice by default, then Dark and Light chosen in Settings, kept across a reload', async () => {
    const { page, context } = await newPerson(fixture, { label: 'sol-theme' });
    await loginViaUi(page, sol.username);
    expect(await background(page)).toBe(LIGHT_BG);
    await page.emulateMedia({ colorScheme: 'dark' });
    await until(() => background(page), DARK_BG);

    await page.emulateMedia({ colorScheme: 'light' });
    const dialog = await openSettings(page);
    await dialog.getByRole('radio', { name: 'Dark' }).check();
    await until(() => background(page), DARK_BG);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.keyboard.press('Escape');
    await saveScreenshot(page, 'theme-dark');
    await page.reload();
    await page.getByRole('heading', { name: /^Chats/ }).waitFor();
    await until(() => background(page), DARK_BG);

    await page.emulateMedia({ colorScheme: 'dark' });
    await (await openSettings(page)).getByRole('radio', { name: 'Light' }).check();
    await until(() => background(page), LIGHT_BG);
    await settingsDialog(page).getByRole('radio', { name: 'Same as the system' }).check();
    await until(() => background(page), DARK_BG);
    await context.close();
  });

  it('notifies of a message while the tab is hidden, once turned on; not when the tab is visible or the conversation is muted; the icon shows a badge', async () => {
    const context = await fixture.browser.newContext({ baseURL: fixture.url, viewport: { width: 1200, height: 800 }, colorScheme: 'light', reducedMotion: 'reduce' });
    await context.grantPermissions(['notifications'], { origin: fixture.url });
    await context.addInitScript(INSTRUMENT);
    const page = await context.newPage();
    page.on('pageerror', (err) => fixture.problems.push(`sol-notify: page error: ${err.message}`));
    await page.goto('/');
    await loginViaUi(page, sol.username);
    const dialog = await openSettings(page);
    await dialog.getByRole('checkbox', { name: /Desktop notifications/ }).check();
    await page.keyboard.press('Escape');
    await listItem(page, 'Readers').waitFor();

    await hideTab(page, false);
    await seedMessage(fixture.url, tom, direct.id, 'while you look');
    await until(async () => (await listItem(page, 'Tom Reader').getByTestId('unread-badge').count()) > 0, true);
    expect(await shown(page)).toEqual([]);
    // Unread: the tab's icon carries a badge (a drawn PNG instead of the SVG).
    await until(() => page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel="icon"]')!.href.startsWith('data:image/png')), true);

    await hideTab(page, true);
    await seedMessage(fixture.url, tom, direct.id, 'while you are away');
    await seedMessage(fixture.url, una, group.id, 'group news');
    await eventually(async () => (await shown(page)).length === 2, { timeoutMs: 10_000, intervalMs: 50 });
    expect(await shown(page)).toEqual([
      { title: 'Tom Reader', body: 'while you are away', tag: direct.id },
      { title: 'Readers', body: 'Una Away: group news', tag: group.id },
    ]);

    // Muted from the conversation's header: its messages stay silent.
    await hideTab(page, false);
    await openConversation(page, 'Readers');
    const mute = page.getByRole('button', { name: 'Mute notifications' });
    await mute.click();
    expect(await mute.getAttribute('aria-pressed')).toBe('true');
    await listItem(page, 'Readers').getByTestId('muted').waitFor();
    await hideTab(page, true);
    await seedMessage(fixture.url, una, group.id, 'muted news');
    await seedMessage(fixture.url, tom, direct.id, 'not muted');
    await eventually(async () => (await shown(page)).length === 3, { timeoutMs: 10_000, intervalMs: 50 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await shown(page)).map((n) => n.body)).toEqual(['while you are away', 'Una Away: group news', 'not muted']);
    await context.close();
  });

  it('on a phone, with the keyboard alone: Settings opens, the theme changes with the arrow keys, and Escape gives focus back; a conversation mutes from its header', async () => {
    const { page, context } = await newPerson(fixture, { label: 'sol-keys', width: 360, height: 640 });
    await loginViaUi(page, sol.username);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return el instanceof HTMLButtonElement || el instanceof HTMLInputElement ? (el.getAttribute('aria-label') ?? el.textContent?.trim() ?? '') : '';
      });
    // Buttons by their label; a conversation in the list by its title (its text holds the preview too).
    const tabTo = async (name: string, partial = false) => {
      const at = async () => (partial ? (await focused()).includes(name) : (await focused()) === name);
      for (let i = 0; i < 30 && !(await at()); i++) await page.keyboard.press('Tab');
      expect(await at()).toBe(true);
    };
    await tabTo('Settings');
    await page.keyboard.press('Enter');
    const dialog = settingsDialog(page);
    await dialog.waitFor();
    const system = dialog.getByRole('radio', { name: 'Same as the system' });
    await system.focus();
    await page.keyboard.press('ArrowDown'); // Light
    await page.keyboard.press('ArrowDown'); // Dark
    await until(() => page.evaluate(() => document.documentElement.dataset.theme ?? 'system'), 'dark');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused()).toBe('Settings');
    // The dialog fits the phone's width.
    await page.keyboard.press('Enter');
    const box = (await settingsDialog(page).boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    await settingsDialog(page).getByRole('radio', { name: 'Same as the system' }).check();
    await page.keyboard.press('Escape');

    await tabTo('Tom Reader', true);
    await page.keyboard.press('Enter');
    await page.locator('.conversation-header').waitFor();
    await tabTo('Mute notifications');
    await page.keyboard.press('Enter');
    expect(await page.getByRole('button', { name: 'Mute notifications' }).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Enter');
    expect(await page.getByRole('button', { name: 'Mute notifications' }).getAttribute('aria-pressed')).toBe('false');
    await context.close();
  });

  it('on a phone, with the keyboard alone: group details, who has read a message, and the people directory', async () => {
    const { page, context } = await newPerson(fixture, { label: 'sol-keys-2', width: 360, height: 640 });
    await loginViaUi(page, sol.username);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return el instanceof HTMLButtonElement || el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement
          ? (el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent?.trim() ?? '')
          : '';
      });
    const tabTo = async (name: string | RegExp) => {
      const at = async () => (typeof name === 'string' ? (await focused()) === name : name.test(await focused()));
      for (let i = 0; i < 60 && !(await at()); i++) await page.keyboard.press('Tab');
      expect(await at(), `focus reached ${name}`).toBe(true);
    };

    // Group details: Sol created Readers, so Sol is its admin.
    await tabTo(/Readers/);
    await page.keyboard.press('Enter');
    await page.locator('.conversation-header').waitFor();
    await page.keyboard.type('keyboard only');
    await page.keyboard.press('Enter');
    const mine = page.locator('li.message--mine').filter({ hasText: 'keyboard only' });
    await mine.locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]').first().waitFor();
    await tabTo('Members');
    await page.keyboard.press('Enter');
    const members = page.getByRole('dialog', { name: 'Members' });
    await members.waitFor();
    await tabTo('Description');
    await page.keyboard.type('Typed without a mouse.');
    await tabTo('Save details');
    await page.keyboard.press('Enter');
    await members.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const box = (await members.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    await page.keyboard.press('Escape');
    await members.waitFor({ state: 'detached' });
    await until(async () => (await page.locator('.messages__list li.system-line').allTextContents()).at(-1), 'You changed the description');

    // Who has read it: the ticks of the message are a button the keyboard reaches.
    await mine.getByRole('button', { name: /Message info/ }).focus();
    await page.keyboard.press('Enter');
    const info = page.getByRole('dialog', { name: 'Message info' });
    await info.getByRole('heading', { name: /^Read by \d+$/ }).waitFor();
    await page.keyboard.press('Escape');
    await info.waitFor({ state: 'detached' });
    expect(await focused()).toMatch(/Message info/);

    // The directory: New chat, then Tab to the first person listed, Enter.
    await page.getByRole('button', { name: 'Back to conversations' }).focus();
    await page.keyboard.press('Enter');
    await tabTo('New chat');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New chat' });
    await dialog.getByRole('list', { name: 'Everyone' }).waitFor();
    await tabTo(/^Chat with /);
    const picked = (await focused()).replace(/^Chat with /, '').replace(/ \(@.*\)$/, '');
    await page.keyboard.press('Enter');
    await page.locator('.conversation-header__title', { hasText: picked }).waitFor();
    await context.close();
  });

  it('a run of messages shows its time once, on the last; every message has its full date on hover', async () => {
    const { page, context } = await newPerson(fixture, { label: 'sol-times' });
    await loginViaUi(page, sol.username);
    await openConversation(page, 'Tom Reader');
    for (const text of ['one', 'two', 'three']) await send(page, `timing-run ${text}`);
    const run = page.locator('li.message--mine').filter({ hasText: 'timing-run' });
    await until(() => run.count(), 3);
    await until(() => run.locator('time:not(.sr-only)').count(), 1);
    expect(await run.last().locator('time').isVisible()).toBe(true);
    const visible = await run.last().locator('time').textContent();
    expect(visible).toMatch(/^[1-9]\d?:\d\d/); // no leading zero
    for (const title of await run.locator('time').evaluateAll((els) => els.map((el) => el.getAttribute('title')))) {
      expect(title).toMatch(/\d{4}/); // the whole date, with the year
    }
    await context.close();
  });

  it('in a group, the ticks of your message open who has read it and who has it, kept current as receipts arrive', async () => {
    const { page, context } = await newPerson(fixture, { label: 'sol-readby' });
    await loginViaUi(page, sol.username);
    await openConversation(page, 'Readers');
    await send(page, 'who reads this?');
    const mine = page.locator('li.message--mine').filter({ hasText: 'who reads this?' });
    await mine.locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]').first().waitFor();
    const seq = Number(await mine.getAttribute('data-seq'));

    await mine.getByRole('button', { name: /Message info/ }).click();
    const info = page.getByRole('dialog', { name: 'Message info' });
    await info.getByRole('heading', { name: 'Read by 0' }).waitFor();
    // Tom reads it (his receipt, as his client would send it); Una's device only has it.
    const tomSocket = await TestSocket.open(fixture.server.wsUrl, tom.token);
    const unaSocket = await TestSocket.open(fixture.server.wsUrl, una.token);
    await tomSocket.request({ type: 'read', conversation_id: group.id, seq });
    await unaSocket.request({ type: 'delivered', conversation_id: group.id, seq });
    await info.getByRole('heading', { name: 'Read by 1' }).waitFor();
    const handles = (heading: string) => info.getByRole('region', { name: heading }).locator('.read-by__handle').allTextContents();
    await until(() => handles('Read by 1'), [`@${tom.username}`]);
    await until(() => handles('Delivered to 1'), [`@${una.username}`]);
    await saveScreenshot(page, 'read-by');
    tomSocket.close();
    unaSocket.close();
    await context.close();
  });
}

if (HAS_CHROMIUM) describe('web client: settings, notifications, times and read-by (Chromium)', suite);
else describe.skip(`web client: settings, notifications, times and read-by (skipped: needs Chromium at ${CHROMIUM_BIN})`, suite);
