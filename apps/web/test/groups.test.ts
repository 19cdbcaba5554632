import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedUser, type SeededUser } from './support/seed.ts';
import { conversationTitle, listItem, loginViaUi, messageTexts, openConversation, send, until } from './support/ui.ts';

/** Groups through the UI: create one, and manage its members as an admin and as a member. */
function suite(): void {
  let fixture: WebFixture;
  let ana: SeededUser;
  let ben: SeededUser;
  let cleo: SeededUser;
  let dev: SeededUser;
  const people: Record<string, Person> = {};

  beforeAll(async () => {
    fixture = await startWebFixture();
    [ana, ben, cleo, dev] = await Promise.all([
      seedUser(fixture.url, 'Ana Admin'),
      seedUser(fixture.url, 'Ben Member'),
      seedUser(fixture.url, 'Cleo Removed'),
      seedUser(fixture.url, 'Dev Added'),
    ]);
    for (const [key, user] of [['ana', ana], ['ben', ben], ['cleo', cleo], ['dev', dev]] as const) {
      people[key] = await newPerson(fixture, { label: key });
      await loginViaUi(people[key]!.page, user.username);
    }
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('the creator names a group and picks its members; everyone in it sees it', async () => {
    const page = people.ana!.page;
    await page.getByRole('button', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill('Book club');
    for (const user of [ben, cleo]) {
      await dialog.getByLabel('Add people').fill(user.username);
      await dialog.getByRole('button', { name: `Add ${user.displayName} (@${user.username})` }).click();
    }
    expect(await dialog.getByRole('list', { name: 'Chosen members' }).getByRole('listitem').allTextContents()).toEqual([
      'Ben Member',
      'Cleo Removed',
    ]);
    await saveScreenshot(page, 'new-group-dialog');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await conversationTitle(page, 'Book club').waitFor();
    await send(page, 'Welcome to the book club');

    for (const key of ['ben', 'cleo'] as const) {
      await openConversation(people[key]!.page, 'Book club');
      await until(() => messageTexts(people[key]!.page), ['Welcome to the book club']);
    }
    expect(await listItem(people.dev!.page, 'Book club').count()).toBe(0);
  });

  it('a member sees the members but cannot add or remove anyone', async () => {
    const page = people.ben!.page;
    await page.getByRole('button', { name: 'Members' }).click();
    const dialog = page.getByRole('dialog', { name: 'Members' });
    await dialog.getByText('Only admins can add or remove members.').waitFor();
    expect(await dialog.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    expect(await dialog.locator('.member-row').count()).toBe(3);
    // Escape closes the dialog and gives focus back to the button that opened it.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: 'Members' }).evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('the admin removes one member and adds another; both of them see the change', async () => {
    const page = people.ana!.page;
    await page.getByRole('button', { name: 'Members' }).click();
    const dialog = page.getByRole('dialog', { name: 'Members' });
    // Removing asks first, by keyboard too: Escape says no and gives focus back to the Remove button.
    const removeCleo = dialog.getByRole('button', { name: 'Remove Cleo Removed' });
    await removeCleo.focus();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog', { name: 'Remove Cleo Removed?' });
    await confirm.waitFor();
    expect(await confirm.getByRole('button', { name: 'Cancel' }).evaluate((el) => el === document.activeElement)).toBe(true);
    await saveScreenshot(page, 'remove-member-confirm');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await removeCleo.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await dialog.locator('.member-row').count()).toBe(3);
    // Yes, this time: Tab from Cancel to Remove, Enter.
    await page.keyboard.press('Enter');
    await confirm.waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    await until(() => dialog.locator('.member-row').count(), 2);

    await dialog.getByLabel('Add people').fill(dev.username);
    await dialog.getByRole('button', { name: `Add ${dev.displayName} (@${dev.username})` }).click();
    await until(() => dialog.locator('.member-row .user-row__name').allTextContents(), ['Ana Admin (you)', 'Ben Member', 'Dev Added']);
    await saveScreenshot(page, 'members-dialog');
    await page.keyboard.press('Escape');

    // Cleo had the group open: it goes away, and she is told which group she is no longer in.
    await people.cleo!.page.getByText('You are no longer a member of Book club.').waitFor();
    await until(() => listItem(people.cleo!.page, 'Book club').count(), 0);
    // Dev finds it in the list and can read and write.
    await openConversation(people.dev!.page, 'Book club');
    await send(people.dev!.page, 'Thanks for adding me');
    await until(async () => (await messageTexts(page)).at(-1), 'Thanks for adding me');
    await until(async () => (await messageTexts(people.ben!.page)).at(-1), 'Thanks for adding me');
  });

  it('the person added reads "added you", in the middle of a sentence', async () => {
    const read = () => people.dev!.page.locator('.messages__list li.system-line').allTextContents();
    await until(async () => (await read()).includes('Ana Admin added you'), true);
    const lines = await read();
    expect(lines.filter((l) => /\bYou\b/.test(l) && !l.startsWith('You'))).toEqual([]);
  });

  it('former members keep their names in the history, after a reload too', async () => {
    // Cleo was removed above; Ben leaves now. Nobody in the group shares it with them any more.
    const ben = people.ben!.page;
    // On a phone, where the list and the conversation are separate screens.
    await ben.setViewportSize({ width: 360, height: 640 });
    await ben.getByRole('button', { name: 'Members' }).click();
    await ben.getByRole('dialog', { name: 'Members' }).getByRole('button', { name: 'Leave group' }).click();
    const confirm = ben.getByRole('dialog', { name: 'Leave Book club?' });
    await confirm.getByRole('button', { name: 'Leave group' }).click();
    // Ben lands on the conversation list, no conversation selected, and is told what happened.
    await ben.getByRole('status').filter({ hasText: 'You left Book club.' }).waitFor();
    expect(new URL(ben.url()).pathname).toBe('/');
    await ben.getByRole('heading', { name: /^Chats/ }).waitFor({ state: 'visible' });
    expect(await listItem(ben, 'Book club').count()).toBe(0);
    expect(await ben.getByText('no longer a member', { exact: false }).count()).toBe(0);
    expect(await ben.evaluate(() => document.activeElement?.closest('.sidebar') !== null)).toBe(true);
    const page = people.ana!.page;
    const lines = () => page.locator('.messages__list li.system-line').allTextContents();
    const expected = ['You removed Cleo Removed', `You added Dev Added`, 'Ben Member left'];
    await until(async () => (await lines()).filter((l) => !/started the conversation/.test(l)), expected);
    // After a reload the client knows them only from the server.
    await page.reload();
    await openConversation(page, 'Book club');
    await until(async () => (await lines()).filter((l) => !/started the conversation/.test(l)), expected);
    expect(await page.locator('.messages__list li.message', { hasText: 'Thanks for adding me' }).count()).toBe(1);
  });

  it('the admin renames the group, describes it and makes a member admin: everyone reads each change in the conversation, and the new admin can edit', async () => {
    const page = people.ana!.page;
    await page.getByRole('button', { name: 'Members' }).click();
    const dialog = page.getByRole('dialog', { name: 'Members' });
    const details = dialog.getByRole('form', { name: 'Group details' });
    await details.getByLabel('Group name').fill('Reading circle');
    await details.getByLabel('Description').fill('One book a month.');
    await details.getByRole('button', { name: 'Save details' }).click();
    await details.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await dialog.getByRole('button', { name: 'Make Dev Added an admin' }).click();
    await dialog.getByRole('button', { name: 'Remove Dev Added as admin' }).waitFor();
    await saveScreenshot(page, 'group-details');
    await page.keyboard.press('Escape');
    await conversationTitle(page, 'Reading circle').waitFor();

    const dev = people.dev!.page;
    await conversationTitle(dev, 'Reading circle').waitFor();
    const lines = () => dev.locator('.messages__list li.system-line').allTextContents();
    await until(async () => (await lines()).slice(-2), ['Ana Admin renamed the group “Reading circle” and changed the description', 'Ana Admin made you an admin']);
    await dev.getByRole('button', { name: 'Members' }).click();
    const devDetails = dev.getByRole('dialog', { name: 'Members' }).getByRole('form', { name: 'Group details' });
    expect(await devDetails.getByLabel('Description').inputValue()).toBe('One book a month.');
    await devDetails.getByLabel('Description').fill('');
    await devDetails.getByRole('button', { name: 'Save details' }).click();
    await dev.keyboard.press('Escape');
    await until(async () => (await page.locator('.messages__list li.system-line').allTextContents()).at(-1), 'Dev Added removed the description');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('groups', suite);
else describe.skip(`groups (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
