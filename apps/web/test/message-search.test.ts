import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { conversationTitle, loginViaUi, until } from './support/ui.ts';

/** Message search: results with highlighted snippets rendered as text, and a click that opens the message in its conversation. */
function suite(): void {
  let fixture: WebFixture;
  let pat: SeededUser;
  let person: Person;
  const markup = '<img src=x onerror="window.__pwned=1"> we must reconfigure the proxy';

  beforeAll(async () => {
    fixture = await startWebFixture();
    let quinn: SeededUser;
    [pat, quinn] = await Promise.all([seedUser(fixture.url, 'Pat Finder'), seedUser(fixture.url, 'Quinn Archive')]);
    const conv = await seedConversation(fixture.url, quinn, [pat]);
    // The match is the oldest message, far above what the conversation first loads.
    await seedMessage(fixture.url, quinn, conv.id, markup);
    await seedMessage(fixture.url, quinn, conv.id, '明日の会議は10時からです');
    for (let i = 0; i < 150; i++) await seedMessage(fixture.url, i % 2 ? quinn : pat, conv.id, `filler line ${i}`);
    person = await newPerson(fixture, { label: 'pat' });
    await loginViaUi(person.page, pat.username);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const dialog = () => person.page.getByRole('dialog', { name: 'Search messages' });
  const results = () => dialog().getByRole('list', { name: 'Message results' }).locator('.message-result__snippet');

  it('finds a substring and CJK text, highlights the match, and shows markup as text', async () => {
    const { page } = person;
    await page.getByRole('button', { name: 'Search messages' }).click();
    const field = dialog().getByLabel('Words to find');
    await field.fill('会議');
    await until(async () => (await results().allTextContents()), ['明日の会議は10時からです']);
    expect(await results().locator('mark').allTextContents()).toEqual(['会議']);

    await field.fill('CONFIG');
    await until(async () => (await results().allTextContents()), [markup]);
    expect(await results().locator('mark').allTextContents()).toEqual(['config']);
    // The message's markup is text: no element was made from it, and nothing ran.
    expect(await dialog().locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await saveScreenshot(page, 'message-search-results');
  });

  it('opens the conversation at the message chosen, loading older history until it is there', async () => {
    const { page } = person;
    await results().first().click();
    await dialog().waitFor({ state: 'detached' });
    await conversationTitle(page, 'Quinn Archive').waitFor();
    const found = page.locator('.messages__list li[data-seq="1"]');
    await found.waitFor({ timeout: 15_000 });
    await until(async () => (await found.getAttribute('class'))?.includes('message--found') ?? false, true);
    await until(() => found.isVisible(), true);
    expect(await found.locator('.bubble__text').textContent()).toBe(markup);
    // In view, not merely in the document.
    const inView = await found.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const list = el.closest('.messages')?.getBoundingClientRect() ?? document.body.getBoundingClientRect();
      return box.bottom > list.top && box.top < list.bottom;
    });
    expect(inView).toBe(true);
    await saveScreenshot(page, 'message-search-jump');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('message search', suite);
else describe.skip(`message search (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
