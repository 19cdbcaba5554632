import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { CHROMIUM_BIN, HAS_CHROMIUM, saveScreenshot, signedInPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { messageWith, openConversation, until } from './support/ui.ts';

/**
 * A group's settings in its Members dialog (#15): an admin chooses who may
 * pin messages and who may mention @everyone, applied at once; a member sees
 * them read-only, and the change reaches them live: under "All members" their
 * message actions offer Pin, which they did not before.
 */
function suite(): void {
  let fixture: WebFixture;
  let ann: SeededUser, ben: SeededUser;
  let annP: Person, benP: Person;
  const ROOM = 'Policy room';
  const DECISION = 'Freeze on Friday';

  beforeAll(async () => {
    fixture = await startWebFixture();
    [ann, ben] = await Promise.all([seedUser(fixture.url, 'Ann Admin'), seedUser(fixture.url, 'Ben Member')]);
    const group = await seedConversation(fixture.url, ann, [ben], ROOM);
    await seedMessage(fixture.url, ann, group.id, DECISION);
    annP = await signedInPerson(fixture, ann.username, 'ann');
    benP = await signedInPerson(fixture, ben.username, 'ben');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const membersDialog = (page: Page) => page.getByRole('dialog', { name: 'Members' });
  /** The message's sheet of actions, opened: the labels it offers. */
  async function actionsOf(page: Page, text: string): Promise<string[]> {
    const message = messageWith(page, text);
    await message.hover();
    await message.getByRole('button', { name: 'More actions' }).click();
    const sheet = page.getByRole('dialog', { name: 'Message actions' });
    await sheet.waitFor();
    const labels = (await sheet.getByRole('button').allTextContents()).map((t) => t.trim()).filter((t) => t !== '' && t !== 'Cancel' && t !== 'Close');
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
    return labels;
  }
  const readOnly = (dialog: Locator, setting: string) => dialog.locator(`dd[data-setting="${setting}"]`).textContent();

  it('a member sees the settings read-only, and no Pin under the default "Admins"', async () => {
    const { page } = benP;
    await openConversation(page, ROOM);
    await messageWith(page, DECISION).waitFor();
    expect(await actionsOf(page, DECISION)).not.toContain('Pin');
    await page.getByRole('button', { name: 'Members' }).click();
    const dialog = membersDialog(page);
    expect(await dialog.getByRole('combobox').count()).toBe(0);
    expect(await readOnly(dialog, 'pin_policy')).toBe('Admins');
    expect(await readOnly(dialog, 'everyone_policy')).toBe('All members');
  });

  it('an admin lets all members pin: the member, without reloading, sees the setting change and gets Pin', async () => {
    const { page } = annP;
    await openConversation(page, ROOM);
    await page.getByRole('button', { name: 'Members' }).click();
    const pins = membersDialog(page).getByLabel('Who can pin messages');
    expect(await pins.inputValue()).toBe('admins');
    expect(await membersDialog(page).getByLabel('Who can mention @everyone').inputValue()).toBe('members');
    await pins.selectOption('members');
    await until(() => pins.isEnabled(), true);
    expect(await pins.inputValue()).toBe('members');
    await saveScreenshot(page, 'group-settings-admin');
    await page.keyboard.press('Escape');

    // Ben's dialog is still open: it follows, then his message actions do.
    const ben = benP.page;
    await until(() => readOnly(membersDialog(ben), 'pin_policy'), 'All members');
    await saveScreenshot(ben, 'group-settings-member');
    await ben.keyboard.press('Escape');
    await membersDialog(ben).waitFor({ state: 'detached' });
    await ben.locator('.system-line', { hasText: 'let all members pin messages' }).waitFor();
    expect(await actionsOf(ben, DECISION)).toContain('Pin');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('group settings', suite);
else describe.skip(`group settings (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
