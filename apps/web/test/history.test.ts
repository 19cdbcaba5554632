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
    // Rita's own messages, so none is unread: a conversation with unread messages opens at the first of them (unread.test.ts).
    for (let n = 1; n <= TOTAL; n++) await seedMessage(fixture.url, reader, chat.id, label(n));
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

  it('the sticky day label covers no message or system text once the reader stops scrolling', async () => {
    const [reader2, writer2] = await Promise.all([seedUser(fixture.url, 'Sam Scroller'), seedUser(fixture.url, 'Lou Longwinded')]);
    const chat = await seedConversation(fixture.url, writer2, [reader2]);
    // Long messages, so whatever is under the top of the list reaches its middle, where the label is.
    for (let n = 1; n <= 30; n++) await seedMessage(fixture.url, writer2, chat.id, `long message ${n}: ${'a few more words to fill the line '.repeat(6)}`);
    const { page } = await newPerson(fixture, { label: 'sam', width: 900, height: 700 });
    await loginViaUi(page, reader2.username);
    await openConversation(page, 'Lou Longwinded');
    await until(async () => (await messageTexts(page)).length, 30);

    /** Text in the visible part of the list that a day label lies over. */
    const covered = () =>
      page.evaluate(() => {
        const view = document.querySelector('.messages')!.getBoundingClientRect();
        const labels = [...document.querySelectorAll('.day-separator')].map((el) => el.getBoundingClientRect());
        const texts = document.querySelectorAll<HTMLElement>('.messages__list .bubble__text, .messages__list .bubble__meta, .messages__list .system-line');
        const out: string[] = [];
        for (const el of texts) {
          const box = el.getBoundingClientRect();
          if (box.bottom <= view.top || box.top >= view.bottom) continue;
          const over = labels.some((l) => l.left < box.right && l.right > box.left && l.top < box.bottom && l.bottom > box.top);
          if (over) out.push((el.textContent ?? '').slice(0, 20));
        }
        return out;
      });
    for (const at of [0.3, 0.5, 0.7]) {
      await page.locator('.messages').evaluate((el, f) => el.scrollTo({ top: (el.scrollHeight - el.clientHeight) * f }), at);
      await until(covered, [], 5000);
    }
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('history', suite);
else describe.skip(`history (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
