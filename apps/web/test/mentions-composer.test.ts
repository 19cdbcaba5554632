import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { api } from '../../../packages/server/test/support/harness.ts';
import { CHROMIUM_BIN, HAS_CHROMIUM, saveScreenshot, signedInPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedUser, type SeededUser } from './support/seed.ts';
import { listItem, messageWith, openConversation, until } from './support/ui.ts';

/**
 * Mentions in the composer (#15): typing "@" and letters lists the
 * conversation's members (and @everyone in a group), picked by keyboard or
 * mouse as an ARIA combobox; the sent message mentions the person, who gets
 * the "@" badge and a marked message with their name highlighted. Under
 * everyone_policy "admins" a member is not offered @everyone; an admin is.
 */
function suite(): void {
  let fixture: WebFixture;
  let ann: SeededUser, ben: SeededUser, cat: SeededUser;
  let annP: Person, benP: Person;
  let groupId: string;
  const ROOM = 'Mention room';

  beforeAll(async () => {
    fixture = await startWebFixture();
    [ann, ben, cat] = await Promise.all([seedUser(fixture.url, 'Ann Admin'), seedUser(fixture.url, 'Ben Member'), seedUser(fixture.url, 'Cat Member')]);
    groupId = (await seedConversation(fixture.url, ann, [ben, cat], ROOM)).id;
    annP = await signedInPerson(fixture, ann.username, 'ann');
    benP = await signedInPerson(fixture, ben.username, 'ben');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const field = (page: Page) => page.getByRole('textbox', { name: 'Message' });
  const list = (page: Page) => page.getByRole('listbox', { name: 'People to mention' });
  const options = (page: Page) => list(page).getByRole('option');
  /** Each offered person as "Display name @username" (the avatar's initials left out). */
  const offered = (page: Page) =>
    options(page).evaluateAll((els) => els.map((el) => `${el.querySelector('.mention-list__name')?.textContent} ${el.querySelector('.mention-list__handle')?.textContent}`));
  /** The option the field's aria-activedescendant points at: its text. */
  const activeOption = (page: Page) =>
    field(page).evaluate((el) => {
      const id = el.getAttribute('aria-activedescendant');
      const option = id ? document.getElementById(id) : null;
      return option?.getAttribute('aria-selected') === 'true' ? option.querySelector('.mention-list__handle')?.textContent : null;
    });

  it('picks a member by keyboard; the sent message gives them the badge, the mark and their name highlighted', async () => {
    const { page } = benP;
    await openConversation(page, ROOM);
    expect(await field(page).getAttribute('aria-expanded')).toBe('false');
    await field(page).pressSequentially('Hi @');
    await list(page).waitFor();
    expect(await field(page).getAttribute('aria-expanded')).toBe('true');
    expect(await field(page).getAttribute('aria-controls')).toBe(await list(page).getAttribute('id'));
    // Everyone else in the group, then @everyone (the group lets every member say it).
    expect(await offered(page)).toEqual([`Ann Admin @${ann.username}`, `Cat Member @${cat.username}`, 'Everyone in this group @everyone']);
    expect(await activeOption(page)).toBe(`@${ann.username}`);
    await field(page).press('ArrowDown');
    expect(await activeOption(page)).toBe(`@${cat.username}`);
    await field(page).press('ArrowUp');
    await field(page).press('ArrowUp');
    expect(await activeOption(page)).toBe('@everyone');
    await field(page).press('ArrowDown');
    // Letters narrow it: a prefix of the username.
    await field(page).pressSequentially(ann.username.slice(0, 3));
    expect(await offered(page)).toEqual([`Ann Admin @${ann.username}`]);
    await saveScreenshot(page, 'mention-autocomplete');
    await field(page).press('Enter');
    await list(page).waitFor({ state: 'detached' });
    expect(await field(page).inputValue()).toBe(`Hi @${ann.username} `);
    expect(await field(page).getAttribute('aria-expanded')).toBe('false');
    await field(page).pressSequentially('the review is yours');
    await field(page).press('Enter');

    // Ben's copy: Ann's name is highlighted, not as his own.
    const sent = messageWith(page, 'the review is yours');
    await sent.locator('.mention').waitFor();
    expect(await sent.locator('.mention').textContent()).toBe(`@${ann.username}`);
    expect(await sent.locator('.mention--me').count()).toBe(0);

    // Ann: the "@" badge, the marked message, and her own name standing out.
    const badge = listItem(annP.page, ROOM).locator('[data-testid="mention-badge"]');
    await badge.waitFor();
    await openConversation(annP.page, ROOM);
    const received = messageWith(annP.page, 'the review is yours');
    await received.waitFor();
    expect(await received.getAttribute('class')).toContain('message--mentions-me');
    const mine = received.locator('.mention.mention--me');
    await mine.waitFor();
    expect(await mine.textContent()).toBe(`@${ann.username}`);
    await saveScreenshot(annP.page, 'mention-highlight');
  });

  it('picks by mouse from a word of a display name; a name that is not a member is not highlighted; Escape or leaving the field closes the list', async () => {
    const { page } = benP;
    // "Me" starts "Member": Cat's name (Ben, also a Member, is not offered himself).
    await field(page).pressSequentially('ping @Me');
    await list(page).waitFor();
    expect(await offered(page)).toEqual([`Cat Member @${cat.username}`]);
    await options(page).first().click();
    expect(await field(page).inputValue()).toBe(`ping @${cat.username} `);
    // The click kept focus in the field: typing goes on.
    await page.keyboard.type('and @nobody_here');
    expect(await list(page).count()).toBe(0);
    await field(page).press('Enter');
    const sent = messageWith(page, 'and @nobody_here');
    await sent.locator('.mention').waitFor();
    expect(await sent.locator('.mention').allTextContents()).toEqual([`@${cat.username}`]);

    await field(page).pressSequentially('@');
    await list(page).waitFor();
    await field(page).press('Escape');
    await list(page).waitFor({ state: 'detached' });
    expect(await field(page).getAttribute('aria-expanded')).toBe('false');
    // Another "@" opens it again; leaving the field closes it.
    await field(page).pressSequentially(' @');
    await list(page).waitFor();
    await page.getByRole('button', { name: 'Members' }).focus();
    await list(page).waitFor({ state: 'detached' });
    await field(page).fill('');
  });

  it('autocompletes in the message editor too; the edit mentions the picked member', async () => {
    const { page } = benP;
    const message = messageWith(page, 'the review is yours');
    await message.hover();
    await message.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('dialog', { name: 'Message actions' }).getByRole('button', { name: 'Edit', exact: true }).click();
    const editor = page.getByRole('textbox', { name: 'Edit message' });
    await editor.press('End');
    await editor.pressSequentially(' with @Me');
    await list(page).waitFor();
    expect(await offered(page)).toEqual([`Cat Member @${cat.username}`]);
    expect(await editor.getAttribute('aria-expanded')).toBe('true');
    await editor.press('Enter');
    expect(await editor.inputValue()).toBe(`Hi @${ann.username} the review is yours with @${cat.username} `);
    await editor.press('Enter');
    await editor.waitFor({ state: 'detached' });
    await until(() => messageWith(page, 'the review is yours').locator('.mention').allTextContents(), [`@${ann.username}`, `@${cat.username}`]);
  });

  it('does not offer @everyone to a member when only admins may say it; offers it to an admin', async () => {
    const res = await api(fixture.url, 'PATCH', `/api/v1/conversations/${groupId}`, { token: ann.token, body: { everyone_policy: 'admins' } });
    expect(res.status).toBe(200);
    const { page } = benP;
    // The group's new setting reaches Ben live; then "@" offers only the members.
    await until(async () => {
      await field(page).fill('');
      await field(page).pressSequentially('@');
      await list(page).waitFor();
      return offered(page);
    }, [`Ann Admin @${ann.username}`, `Cat Member @${cat.username}`]);
    await field(page).fill('');

    await field(annP.page).pressSequentially('@ev');
    await list(annP.page).waitFor();
    expect(await offered(annP.page)).toEqual(['Everyone in this group @everyone']);
    await field(annP.page).press('Tab');
    expect(await field(annP.page).inputValue()).toBe('@everyone ');
    await field(annP.page).pressSequentially('standup in 5');
    await field(annP.page).press('Enter');
    // Ben is mentioned as one of everyone: the message is marked and @everyone stands out for him.
    const received = messageWith(page, 'standup in 5');
    await received.locator('.mention--me').waitFor();
    expect(await received.locator('.mention--me').textContent()).toBe('@everyone');
    expect(await received.getAttribute('class')).toContain('message--mentions-me');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('mentions in the composer', suite);
else describe.skip(`mentions in the composer (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
