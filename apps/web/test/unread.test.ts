import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { eventually, loginViaUi, openConversation, until } from './support/ui.ts';

const READ = 20;
const UNREAD = 70;
const mine = (n: number) => `my message ${n}`;
const theirs = (n: number) => `unread message ${n}`;

/** Whether the element is inside the visible part of the message list. */
function divider(page: Page): Promise<{ present: boolean; inView: boolean; nextText: string | null }> {
  return page.evaluate(() => {
    const scroller = document.querySelector('.messages')!.getBoundingClientRect();
    const line = document.querySelector('.messages__list li.unread-divider');
    if (!line) return { present: false, inView: false, nextText: null };
    const box = line.getBoundingClientRect();
    const next = line.nextElementSibling?.querySelector('.bubble__text')?.textContent ?? null;
    return { present: true, inView: box.bottom > scroller.top && box.top < scroller.bottom, nextText: next };
  });
}

/**
 * Opening a conversation with unread messages: it lands on the first unread one under a
 * "New messages" line, even when that is more than a page back, and offers a way back to it.
 */
function suite(): void {
  let fixture: WebFixture;
  let reader: SeededUser;

  beforeAll(async () => {
    fixture = await startWebFixture();
    let writer: SeededUser;
    [reader, writer] = await Promise.all([seedUser(fixture.url, 'Una Reader'), seedUser(fixture.url, 'Wes Writer')]);
    const chat = await seedConversation(fixture.url, reader, [writer]);
    // What the reader wrote herself counts as read; everything after it from Wes is unread,
    // more than one page of history (50), so the first unread message is not in the first page.
    for (let n = 1; n <= READ; n++) await seedMessage(fixture.url, reader, chat.id, mine(n));
    for (let n = 1; n <= UNREAD; n++) await seedMessage(fixture.url, writer, chat.id, theirs(n));
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('on a phone, opens at the first unread message under a "New messages" line', async () => {
    const { page, context } = await newPerson(fixture, { label: 'una-phone', width: 360, height: 640 });
    await loginViaUi(page, reader.username);
    await openConversation(page, 'Wes Writer');
    await until(() => divider(page), { present: true, inView: true, nextText: theirs(1) }, 15_000);
    await saveScreenshot(page, 'unread-divider-phone');
    await context.close();
  });

  it('on a desktop, lands on the line, and "Jump to first unread" brings it back from the newest message, by keyboard', async () => {
    const { page } = await newPerson(fixture, { label: 'una', width: 1200, height: 800 });
    await loginViaUi(page, reader.username);
    await openConversation(page, 'Wes Writer');
    await until(() => divider(page), { present: true, inView: true, nextText: theirs(1) }, 15_000);
    const jump = page.getByRole('button', { name: 'Jump to first unread' });
    // The line is on screen: no need for the control.
    expect(await jump.count()).toBe(0);
    expect(await page.getByText('New messages', { exact: true }).count()).toBe(1);
    await saveScreenshot(page, 'unread-divider');

    // Read to the end: the line is out of view and the control offers the way back.
    await page.locator('.messages').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await eventually(async () => !(await divider(page)).inView, { timeoutMs: 5000 });
    await jump.waitFor();
    await jump.focus();
    await page.keyboard.press('Enter');
    await until(async () => (await divider(page)).inView, true);
    await jump.waitFor({ state: 'detached' });
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('unread', suite);
else describe.skip(`unread (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
