import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { conversationTitle, listItem, loginViaUi, messageTexts, openConversation, until } from './support/ui.ts';

/**
 * What is written and not sent stays, per conversation and per person, across
 * reloads, and so does the message it replies to; sending and logging out
 * clear it.
 */
function suite(): void {
  let fixture: WebFixture;
  let dana: SeededUser;
  let erik: SeededUser;
  let fay: SeededUser;
  let person: Person;

  const composer = () => person.page.getByRole('textbox', { name: 'Message' });
  const draftMark = (title: string) => listItem(person.page, title).locator('.conversation__draft');

  beforeAll(async () => {
    fixture = await startWebFixture();
    [dana, erik, fay] = await Promise.all([seedUser(fixture.url, 'Dana Drafter'), seedUser(fixture.url, 'Erik Friend'), seedUser(fixture.url, 'Fay Friend')]);
    const withErik = await seedConversation(fixture.url, dana, [erik]);
    await seedConversation(fixture.url, dana, [fay]);
    await seedMessage(fixture.url, erik, withErik.id, 'Which branch is the release on?');
    person = await newPerson(fixture, { label: 'dana' });
    await loginViaUi(person.page, dana.username);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('a draft survives a reload, and the list marks its conversation', async () => {
    const { page } = person;
    await openConversation(page, 'Erik Friend');
    await composer().fill('half a thought for Erik');
    await openConversation(page, 'Fay Friend');
    await until(() => draftMark('Erik Friend').count(), 1);
    expect(await listItem(page, 'Erik Friend').locator('.conversation__preview').textContent()).toBe('Draft: half a thought for Erik');
    expect(await draftMark('Fay Friend').count()).toBe(0);

    await page.reload();
    await page.getByRole('heading', { name: /^Chats/ }).waitFor();
    await until(() => draftMark('Erik Friend').count(), 1);
    await saveScreenshot(page, 'draft-in-list');
    await openConversation(page, 'Erik Friend');
    expect(await composer().inputValue()).toBe('half a thought for Erik');

    // On a phone the list is its own screen: the mark is there too.
    await page.setViewportSize({ width: 360, height: 640 });
    await page.getByRole('button', { name: 'Back to conversations' }).click();
    await until(() => draftMark('Erik Friend').count(), 1);
    await page.setViewportSize({ width: 1200, height: 800 });
  });

  it('sending clears the draft, after a reload too', async () => {
    const { page } = person;
    await openConversation(page, 'Erik Friend');
    await composer().press('Enter');
    await until(async () => (await messageTexts(page)).at(-1), 'half a thought for Erik');
    await page.reload();
    await conversationTitle(page, 'Erik Friend').waitFor();
    expect(await composer().inputValue()).toBe('');
    expect(await draftMark('Erik Friend').count()).toBe(0);
  });

  it('a reply survives a reload: the composer still quotes it, and sends it as a reply', async () => {
    const { page } = person;
    const banner = page.locator('.composer__reply');
    await openConversation(page, 'Erik Friend');
    const question = page.locator('.messages__list li.message', { has: page.locator('.bubble__text', { hasText: 'Which branch is the release on?' }) });
    await question.hover();
    await question.getByRole('button', { name: 'Reply' }).click();
    await composer().fill('release/2.4');
    expect((await banner.textContent())?.trim()).toBe('Replying to Erik Friend: Which branch is the release on?');

    await page.reload();
    await conversationTitle(page, 'Erik Friend').waitFor();
    await banner.waitFor();
    expect((await banner.textContent())?.trim()).toBe('Replying to Erik Friend: Which branch is the release on?');
    expect(await composer().inputValue()).toBe('release/2.4');
    await composer().press('Enter');
    await banner.waitFor({ state: 'detached' });
    const reply = page.locator('.messages__list li.message', { has: page.locator('.bubble__text', { hasText: 'release/2.4' }) });
    await reply.locator('.reply-quote').waitFor();
    expect(await reply.locator('.reply-quote__text').textContent()).toBe('Which branch is the release on?');

    // Sent: the reply is gone from the draft too.
    await page.reload();
    await conversationTitle(page, 'Erik Friend').waitFor();
    await composer().waitFor();
    expect(await banner.count()).toBe(0);
  });

  it('cancelling a reply forgets it across a reload', async () => {
    const { page } = person;
    const banner = page.locator('.composer__reply');
    const question = page.locator('.messages__list li.message', { has: page.locator('.bubble__text', { hasText: 'Which branch is the release on?' }) });
    await question.hover();
    await question.getByRole('button', { name: 'Reply' }).click();
    await banner.waitFor();
    await page.getByRole('button', { name: 'Cancel reply' }).click();
    await banner.waitFor({ state: 'detached' });
    await page.reload();
    await conversationTitle(page, 'Erik Friend').waitFor();
    await composer().waitFor();
    expect(await banner.count()).toBe(0);
  });

  it('logging out forgets the drafts: signed in again, the composer is empty', async () => {
    const { page } = person;
    await openConversation(page, 'Fay Friend');
    await composer().fill('a secret for Fay');
    await openConversation(page, 'Erik Friend');
    await until(() => draftMark('Fay Friend').count(), 1);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('dialog', { name: 'Log out?' }).getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('draft')))).toEqual([]);
    await loginViaUi(page, dana.username);
    await openConversation(page, 'Fay Friend');
    expect(await composer().inputValue()).toBe('');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('drafts', suite);
else describe.skip(`drafts (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
