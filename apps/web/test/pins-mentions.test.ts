import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { listItem, loginViaUi, messageWith, openConversation, until } from './support/ui.ts';

/**
 * Pins and mentions in the web client (#15): a member pins a message from its
 * actions, the other member sees it marked live and finds it in the
 * conversation's pinned messages, which lead back to it; unpinning takes it
 * away. A message mentioning someone puts an "@" badge on the conversation
 * for them, marks the message, and reading clears the badge.
 */
function suite(): void {
  let fixture: WebFixture;
  let ann: SeededUser, ben: SeededUser;
  let annP: Person, benP: Person;
  let directId: string;
  const DECISION = 'We ship on Thursday';

  beforeAll(async () => {
    fixture = await startWebFixture();
    [ann, ben] = await Promise.all([seedUser(fixture.url, 'Ann Pinner'), seedUser(fixture.url, 'Ben Reader')]);
    directId = (await seedConversation(fixture.url, ben, [ann])).id;
    await seedMessage(fixture.url, ben, directId, DECISION);
    // Enough after it that the decision scrolls out of view on a small window.
    for (let i = 0; i < 40; i++) await seedMessage(fixture.url, ben, directId, `chatter ${i}`);
    annP = await newPerson(fixture, { label: 'ann' });
    benP = await newPerson(fixture, { label: 'ben' });
    await loginViaUi(annP.page, ann.username);
    await loginViaUi(benP.page, ben.username);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const pinnedMarks = (page: Page) => messageWith(page, DECISION).locator('.bubble__pinned').count();

  async function act(page: Page, text: string, action: string): Promise<void> {
    const message = messageWith(page, text);
    await message.scrollIntoViewIfNeeded();
    await message.hover();
    await message.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('dialog', { name: 'Message actions' }).getByRole('button', { name: action, exact: true }).click();
  }

  it('pins a message from its actions; the other member sees it marked and in the pinned list, which leads back to it; unpin takes it away', async () => {
    await openConversation(annP.page, 'Ben Reader');
    await openConversation(benP.page, 'Ann Pinner');
    await messageWith(annP.page, DECISION).waitFor();
    await act(annP.page, DECISION, 'Pin');
    await until(() => pinnedMarks(annP.page), 1);
    await until(() => pinnedMarks(benP.page), 1);

    const { page } = benP;
    await page.getByRole('button', { name: 'Pinned messages' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pinned messages' });
    const item = dialog.locator('.pins__item');
    await item.waitFor();
    expect(await item.count()).toBe(1);
    expect(await item.locator('.pins__text').textContent()).toBe(DECISION);
    expect(await item.locator('.pins__meta').textContent()).toBe('Pinned by Ann Pinner');
    await item.getByRole('button', { name: 'Show in conversation' }).click();
    await dialog.waitFor({ state: 'detached' });
    await until(async () => (await messageWith(page, DECISION).getAttribute('class'))?.includes('message--found') ?? false, true);

    // A pinned message offers Unpin, not Pin.
    await act(annP.page, DECISION, 'Unpin');
    await until(() => pinnedMarks(benP.page), 0);
    await page.getByRole('button', { name: 'Pinned messages' }).click();
    await dialog.getByText('No pinned messages.', { exact: false }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('a mention puts an "@" badge on the conversation and marks the message; reading clears the badge', async () => {
    const group = await seedConversation(fixture.url, ben, [ann], 'Launch room');
    await seedMessage(fixture.url, ben, group.id, 'plain words first');
    await seedMessage(fixture.url, ben, group.id, `@${ann.username} can you check the release notes?`);
    const { page } = annP;
    const badge = listItem(page, 'Launch room').locator('[data-testid="mention-badge"]');
    await badge.waitFor();
    expect(await badge.textContent()).toContain('mentions you');
    // Ben, who wrote it, has no badge.
    await listItem(benP.page, 'Launch room').waitFor();
    expect(await listItem(benP.page, 'Launch room').locator('[data-testid="mention-badge"]').count()).toBe(0);

    await openConversation(page, 'Launch room');
    const mention = messageWith(page, 'can you check the release notes?');
    await mention.waitFor();
    expect(await mention.getAttribute('class')).toContain('message--mentions-me');
    expect(await messageWith(page, 'plain words first').getAttribute('class')).not.toContain('message--mentions-me');
    await badge.waitFor({ state: 'detached' });
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('pins and mentions in the web client', suite);
else describe.skip(`pins and mentions in the web client (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
