import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { PASSWORD, conversationTitle, eventually, loginViaUi, messageTexts, openConversation, unnamedControls, until } from './support/ui.ts';

function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el?.getAttribute('aria-label') ?? (el as HTMLInputElement | null)?.labels?.[0]?.textContent ?? el?.textContent?.trim() ?? '';
  });
}

/** Tabs forward until the focused control has this name (bounded). */
async function tabTo(page: Page, name: string, max = 15): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await focusedName(page)) === name) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached "${name}" (last: "${await focusedName(page)}")`);
}

/** Keyboard use, names for screen readers, the live region, and message text that tries to be HTML. */
function suite(): void {
  let fixture: WebFixture;
  let kim: SeededUser;
  let lee: SeededUser;
  let kimBrowser: Person;
  let leeBrowser: Person;

  beforeAll(async () => {
    fixture = await startWebFixture();
    [kim, lee] = await Promise.all([seedUser(fixture.url, 'Kim Keyboard'), seedUser(fixture.url, 'Lee Listener')]);
    const chat = await seedConversation(fixture.url, lee, [kim]);
    await seedMessage(fixture.url, lee, chat.id, 'Hello Kim');
    leeBrowser = await newPerson(fixture, { label: 'lee' });
    await loginViaUi(leeBrowser.page, lee.username);
    await openConversation(leeBrowser.page, 'Kim Keyboard');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('says what is wrong with the sign-in form in sentences, and checks empty fields before asking the server', async () => {
    const { page, context } = await newPerson(fixture, { label: 'form' });
    let logins = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/auth/login')) logins++;
    });
    const signIn = page.getByRole('button', { name: 'Sign in', exact: true });
    const alert = page.locator('.auth__form').getByRole('alert');
    const said = async () => ((await alert.count()) === 0 ? '' : ((await alert.textContent()) ?? '').trim());

    await signIn.click();
    await until(said, 'Enter your username.');
    // The field with the problem gets the focus.
    expect(await focusedName(page)).toBe('Username');
    await page.getByLabel('Username').fill(kim.username);
    await signIn.click();
    await until(said, 'Enter your password.');
    expect(await focusedName(page)).toBe('Password');
    expect(logins).toBe(0);

    // What the server refuses is told as a sentence too, never as the raw validation text.
    await page.getByLabel('Username').fill('k'.repeat(70));
    await page.getByLabel('Password').fill('wrong');
    await signIn.click();
    await eventually(async () => logins === 1 && (await said()) !== '', { timeoutMs: 10_000 });
    expect(await said()).toBe('Some of that is not in the form expected. Check it and try again.');
    await page.getByLabel('Username').fill(kim.username);
    await signIn.click();
    await until(said, 'Wrong username or password.');
    await context.close();
    // Chromium logs the refused requests (400, 401) as console errors: expected here, and only here.
    const refused = /^form: console: Failed to load resource: the server responded with a status of 40[01]/;
    const others = fixture.problems.filter((p) => !refused.test(p));
    expect(fixture.problems.length - others.length).toBe(2);
    fixture.problems.splice(0, fixture.problems.length, ...others);
  });

  it('signs in, opens a conversation and sends with the keyboard alone', async () => {
    kimBrowser = await newPerson(fixture, { label: 'kim' });
    const { page } = kimBrowser;
    expect(await unnamedControls(page)).toEqual([]);
    // The username field has focus from the start; Tab goes on to the password; Enter submits.
    await page.keyboard.type(kim.username);
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Chats/ }).waitFor();
    expect(await unnamedControls(page)).toEqual([]);

    // New chat: the dialog takes focus (search field); Escape closes it and focus returns.
    await tabTo(page, 'New chat');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New chat' });
    await dialog.waitFor();
    expect(await focusedName(page)).toBe('Find someone');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focusedName(page)).toBe('New chat');

    // The list comes next; Enter opens the conversation with the cursor in the composer.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('conversation'))).toBe(true);
    await page.keyboard.press('Enter');
    await conversationTitle(page, 'Lee Listener').waitFor();
    expect(await focusedName(page)).toBe('Message');
    expect(await unnamedControls(page)).toEqual([]);

    // Shift+Enter is a new line, Enter sends.
    await page.keyboard.type('line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two');
    await page.keyboard.press('Enter');
    await until(() => messageTexts(leeBrowser.page), ['Hello Kim', 'line one\nline two']);
    expect(await page.getByRole('textbox', { name: 'Message' }).inputValue()).toBe('');
  });

  it('announces new messages from others in a polite live region', async () => {
    const announcer = kimBrowser.page.getByTestId('message-announcer');
    expect(await announcer.getAttribute('aria-live')).toBe('polite');
    await leeBrowser.page.getByRole('textbox', { name: 'Message' }).fill('Can you hear me?');
    await leeBrowser.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await until(async () => (await announcer.textContent())?.trim(), 'Lee Listener: Can you hear me?');
  });

  it('shows message text as text: markup stays inert, only http(s) links become anchors', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"> see www.example.com/a?b=1, or javascript:alert(1) <b>bold</b>';
    await leeBrowser.page.getByRole('textbox', { name: 'Message' }).fill(hostile);
    await leeBrowser.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    const page = kimBrowser.page;
    await until(async () => (await messageTexts(page)).at(-1), hostile);
    const last = page.locator('.messages__list li.message').last();
    expect(await last.locator('img, b, script').count()).toBe(0);
    const links = last.getByRole('link');
    expect(await links.count()).toBe(1);
    expect(await links.getAttribute('href')).toBe('https://www.example.com/a?b=1');
    expect(await links.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await links.getAttribute('target')).toBe('_blank');
    expect(await links.textContent()).toBe('www.example.com/a?b=1');
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('keyboard, screen readers and safe text', suite);
else describe.skip(`keyboard, screen readers and safe text (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
