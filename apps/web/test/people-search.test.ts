import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedUser, type SeededUser } from './support/seed.ts';
import { conversationTitle, loginViaUi, until } from './support/ui.ts';

/** Finding people: a part of the name or username from anywhere in it, and Enter takes the only match. */
function suite(): void {
  let fixture: WebFixture;
  let pat: SeededUser;
  let quinn: SeededUser;
  let person: Person;

  beforeAll(async () => {
    fixture = await startWebFixture();
    [pat, quinn] = await Promise.all([seedUser(fixture.url, 'Pat Seeker'), seedUser(fixture.url, 'Quinn Zebradottir')]);
    await seedUser(fixture.url, 'Rae Zebra');
    person = await newPerson(fixture, { label: 'pat' });
    await loginViaUi(person.page, pat.username);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const results = () =>
    person.page.getByRole('dialog', { name: 'New chat' }).getByRole('list', { name: 'Search results' }).locator('.user-row__name').allTextContents();

  it('finds people by a part of the display name or username that is not its start', async () => {
    const { page } = person;
    await page.getByRole('button', { name: 'New chat' }).first().click();
    const field = page.getByRole('dialog', { name: 'New chat' }).getByLabel('Find someone');
    // The middle of a display name, in any case.
    await field.fill('ZEBRA');
    await until(async () => (await results()).sort(), ['Quinn Zebradottir', 'Rae Zebra']);
    // The middle of a username (quinn_<suffix>).
    await field.fill(quinn.username.slice(2, 9));
    await until(results, ['Quinn Zebradottir']);
    // (Escape in a search field with text first clears the text: the Close button ends it in one step.)
    await page.getByRole('dialog', { name: 'New chat' }).getByRole('button', { name: 'Close' }).click();
  });

  it('with the keyboard alone, Enter opens the chat with the only person found', async () => {
    const { page } = person;
    await page.getByRole('button', { name: 'New chat' }).first().focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New chat' });
    await dialog.waitFor();
    await page.keyboard.type('dottir');
    await until(results, ['Quinn Zebradottir']);
    await page.keyboard.press('Enter');
    await conversationTitle(page, 'Quinn Zebradottir').waitFor();
    await dialog.waitFor({ state: 'detached' });
  });

  it('Enter does nothing while more than one person matches', async () => {
    const { page } = person;
    await page.getByRole('button', { name: 'New chat' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New chat' });
    await page.keyboard.type('zebra');
    await until(async () => (await results()).length, 2);
    await page.keyboard.press('Enter');
    expect(await dialog.count()).toBe(1);
    expect(await dialog.getByText('2 people found.').count()).toBe(1);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('with nothing typed, New chat lists everyone to browse, by username, more on request; picking one opens the chat', async () => {
    // More people than one page of the directory (30).
    await Promise.all(Array.from({ length: 31 }, (_, i) => seedUser(fixture.url, `Dir${String(i).padStart(2, '0')} Person`)));
    const { page } = person;
    await page.getByRole('button', { name: 'New chat' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New chat' });
    const everyone = dialog.getByRole('list', { name: 'Everyone' }).locator('.user-row__handle');
    await until(() => everyone.count(), 30);
    const first = (await everyone.allTextContents()).map((h) => h.slice(1));
    expect(first).toEqual([...first].sort());
    expect(first).not.toContain(pat.username);
    await dialog.getByRole('button', { name: 'Show more people' }).click();
    // 33 others in all: Quinn, Rae and the 31 above.
    await until(() => everyone.count(), 33);
    expect(await dialog.getByRole('button', { name: 'Show more people' }).count()).toBe(0);
    // Typing searches instead; clearing brings the directory back.
    const field = dialog.getByLabel('Find someone');
    await field.fill('zebra');
    await until(() => dialog.getByRole('list', { name: 'Everyone' }).count(), 0);
    await field.fill('');
    await dialog.getByRole('list', { name: 'Everyone' }).getByRole('button', { name: /^Chat with Dir00 Person / }).click();
    await conversationTitle(page, 'Dir00 Person').waitFor();
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('people search', suite);
else describe.skip(`people search (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
