import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, startWebFixture, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { eventually, loginViaUi, messageTexts, openConversation, until } from './support/ui.ts';

const TOTAL = 110;
const label = (n: number) => `history message ${String(n).padStart(3, '0')}`;

/** Whether the message with this text is inside the visible part of the message list. */
function inView(page: Page, text: string): Promise<boolean> {
  return page.evaluate((wanted) => {
    const scroller = document.querySelector('.messages')!.getBoundingClientRect();
    const bubble = [...document.querySelectorAll('.bubble__text')].find((el) => el.textContent === wanted);
    if (!bubble) return false;
    const box = bubble.getBoundingClientRect();
    return box.bottom > scroller.top && box.top < scroller.bottom;
  }, text);
}

/** Paging back through a long conversation by scrolling up. */
function suite(): void {
  let fixture: WebFixture;
  let reader: SeededUser;

  beforeAll(async () => {
    fixture = await startWebFixture();
    let writer: SeededUser;
    [reader, writer] = await Promise.all([seedUser(fixture.url, 'Rita Reader'), seedUser(fixture.url, 'Walt Writer')]);
    const chat = await seedConversation(fixture.url, writer, [reader]);
    for (let n = 1; n <= TOTAL; n++) await seedMessage(fixture.url, writer, chat.id, label(n));
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('opens at the newest message, loads older pages while scrolling up, and keeps the reader in place', async () => {
    const { page } = await newPerson(fixture, { label: 'rita', width: 900, height: 700 });
    await loginViaUi(page, reader.username);
    await openConversation(page, 'Walt Writer');
    await until(async () => (await messageTexts(page)).at(-1), label(TOTAL));
    expect(await inView(page, label(TOTAL))).toBe(true);
    const firstPage = await messageTexts(page);
    // A page of history, not all of it.
    expect(firstPage.length).toBeLessThan(TOTAL);

    const oldestShown = firstPage[0]!;
    await page.locator('.messages').evaluate((el) => el.scrollTo({ top: 0 }));
    await until(async () => (await messageTexts(page)).length > firstPage.length, true);
    // The message that was at the top is still on screen: the list did not jump to the new top.
    await eventually(() => inView(page, oldestShown), { timeoutMs: 5000 });

    // Keep scrolling up until the start of the conversation.
    await eventually(
      async () => {
        await page.locator('.messages').evaluate((el) => el.scrollTo({ top: 0 }));
        return (await messageTexts(page)).length === TOTAL;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await page.getByText('This is the start of the conversation.').waitFor();
    expect(await messageTexts(page)).toEqual(Array.from({ length: TOTAL }, (_, i) => label(i + 1)));
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('history', suite);
else describe.skip(`history (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
