import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { conversationTitle, listItem, loginViaUi, messageTexts, messageWith, openConversation, until } from './support/ui.ts';

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
  const replyBanner = () => person.page.locator('.composer__reply');
  const QUESTION = 'Which branch is the release on?';
  /** Reloads the page open on Erik's conversation and waits for its composer. */
  async function reloadWithErik(): Promise<void> {
    await person.page.reload();
    await conversationTitle(person.page, 'Erik Friend').waitFor();
    await composer().waitFor();
  }
  async function replyToQuestion(): Promise<void> {
    const question = messageWith(person.page, QUESTION);
    await question.hover();
    await question.getByRole('button', { name: 'Reply', exact: true }).click();
    await replyBanner().waitFor();
  }

  beforeAll(async () => {
    fixture = await startWebFixture();
    [dana, erik, fay] = await Promise.all([seedUser(fixture.url, 'Dana Drafter'), seedUser(fixture.url, 'Erik Friend'), seedUser(fixture.url, 'Fay Friend')]);
    const withErik = await seedConversation(fixture.url, dana, [erik]);
    await seedConversation(fixture.url, dana, [fay]);
    await seedMessage(fixture.url, erik, withErik.id, QUESTION);
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
    await openConversation(page, 'Erik Friend');
    await replyToQuestion();
    await composer().fill('release/2.4');
    expect((await replyBanner().textContent())?.trim()).toBe(`Replying to Erik Friend: ${QUESTION}`);

    await reloadWithErik();
    expect((await replyBanner().textContent())?.trim()).toBe(`Replying to Erik Friend: ${QUESTION}`);
    expect(await composer().inputValue()).toBe('release/2.4');
    await composer().press('Enter');
    await replyBanner().waitFor({ state: 'detached' });
    const reply = messageWith(page, 'release/2.4');
    await reply.locator('.reply-quote').waitFor();
    expect(await reply.locator('.reply-quote__text').textContent()).toBe(QUESTION);

    // Sent: the reply is gone from the draft too.
    await reloadWithErik();
    expect(await replyBanner().count()).toBe(0);
  });

  it('cancelling a reply forgets it across a reload', async () => {
    await replyToQuestion();
    await person.page.getByRole('button', { name: 'Cancel reply' }).click();
    await replyBanner().waitFor({ state: 'detached' });
    await reloadWithErik();
    expect(await replyBanner().count()).toBe(0);
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
