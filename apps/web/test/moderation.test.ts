import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { loginViaUi, messageWith, openConversation, until } from './support/ui.ts';

/**
 * Moderation in the web client: a member reports a message, the server
 * operator (the first account) works through the admin page's queue and rules,
 * and the other member sees the message removed by moderation, and back, live.
 */
function suite(): void {
  let fixture: WebFixture;
  let olive: SeededUser, ann: SeededUser, ben: SeededUser;
  let conversationId: string;
  let annP: Person, oliveP: Person;
  const RUDE = 'you are all fools';
  const BLOCKED = 'frobnitzer';

  beforeAll(async () => {
    fixture = await startWebFixture();
    // The first account registered is the server's operator.
    olive = await seedUser(fixture.url, 'Olive Operator');
    [ann, ben] = await Promise.all([seedUser(fixture.url, 'Ann Member'), seedUser(fixture.url, 'Ben Writer')]);
    conversationId = (await seedConversation(fixture.url, ben, [ann])).id;
    await seedMessage(fixture.url, ben, conversationId, 'hello Ann');
    await seedMessage(fixture.url, ann, conversationId, 'hi Ben');
    await seedMessage(fixture.url, ben, conversationId, RUDE);
    annP = await newPerson(fixture, { label: 'ann' });
    oliveP = await newPerson(fixture, { label: 'olive' });
    await loginViaUi(annP.page, ann.username);
    await loginViaUi(oliveP.page, olive.username);
    await openConversation(annP.page, 'Ben Writer');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const removedCount = (page: Page) => page.locator('.messages__list li.message .bubble__deleted', { hasText: 'removed by moderation' }).count();
  const admin = () => oliveP.page.getByRole('dialog', { name: 'Admin' });
  const queueItem = (text: string) => admin().locator('li.admin__item', { hasText: text });

  it('shows the admin page to the operator only', async () => {
    await oliveP.page.getByRole('button', { name: 'Admin' }).waitFor();
    expect(await annP.page.getByRole('button', { name: 'Admin' }).count()).toBe(0);
    // Nobody reports their own messages: the button is on other people's only.
    const mine = annP.page.locator('.messages__list li.message--mine').last();
    await mine.hover();
    await mine.getByRole('button', { name: 'More actions' }).click();
    const sheet = annP.page.getByRole('dialog', { name: 'Message actions' });
    await sheet.getByRole('button', { name: 'Copy link' }).waitFor();
    expect(await sheet.getByRole('button', { name: 'Report' }).count()).toBe(0);
    await annP.page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
  });

  it('a member reports a message with a reason; the operator sees it in the queue and confirms; the other member sees it removed live', async () => {
    const { page } = annP;
    const rude = messageWith(page, RUDE);
    await rude.hover();
    await rude.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('dialog', { name: 'Message actions' }).getByRole('button', { name: 'Report' }).click();
    const dialog = page.getByRole('dialog', { name: 'Report message' });
    await dialog.getByLabel('Reason').fill('insulting');
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('action-notice').filter({ hasText: 'Reported to the server operators.' }).waitFor();

    await oliveP.page.getByRole('button', { name: 'Admin' }).click();
    const item = queueItem(RUDE);
    await item.waitFor();
    expect(await item.textContent()).toContain(`Reported by @${ann.username}`);
    expect(await item.textContent()).toContain(`by @${ben.username}`);
    expect(await item.textContent()).toContain('Reason given: insulting');
    await saveScreenshot(oliveP.page, 'moderation-queue');
    await item.getByRole('button', { name: 'Confirm' }).click();

    // Ann's open conversation: the message is removed by moderation, without a reload; the other stays.
    await until(() => removedCount(page), 1);
    expect(await messageWith(page, RUDE).count()).toBe(0);
    expect(await messageWith(page, 'hello Ann').count()).toBe(1);
    await saveScreenshot(page, 'moderation-removed');
  });

  it('the operator manages rules (a malformed one is refused with a reason); a rule hit shows removed; restore brings it back live', async () => {
    const rules = admin();
    await rules.getByRole('tab', { name: 'Rules' }).click();
    const pattern = rules.getByLabel('Pattern');
    await rules.getByLabel('Kind').selectOption('regex');
    await pattern.fill('(');
    await rules.getByRole('button', { name: 'Add rule' }).click();
    await until(async () => (await rules.getByRole('alert').textContent()) ?? '', 'That rule is not valid: check the pattern (a word, a regular expression or a domain).');
    await rules.getByLabel('Kind').selectOption('word');
    await pattern.fill(BLOCKED);
    await rules.getByRole('button', { name: 'Add rule' }).click();
    await rules.getByRole('button', { name: `Remove rule ${BLOCKED}` }).waitFor();

    await seedMessage(fixture.url, ben, conversationId, `buy ${BLOCKED} now`);
    await until(() => removedCount(annP.page), 2);
    expect(await messageWith(annP.page, BLOCKED).count()).toBe(0);

    await rules.getByRole('tab', { name: 'Review queue' }).click();
    const hit = queueItem(`buy ${BLOCKED} now`);
    await hit.waitFor();
    expect(await hit.textContent()).toContain('Rule hit: word');
    await hit.getByRole('button', { name: 'Restore' }).click();
    await messageWith(annP.page, `buy ${BLOCKED} now`).waitFor();
    expect(await removedCount(annP.page)).toBe(1);

    await rules.getByRole('tab', { name: 'Analytics' }).click();
    await rules.getByRole('table', { name: 'Daily analytics' }).waitFor();
  });

  it('showed no page errors, console errors or CSP violations (but the one refused rule, on purpose)', () => {
    const refused = /^olive: console: Failed to load resource: the server responded with a status of 400/;
    expect(fixture.problems.filter((p) => refused.test(p))).toHaveLength(1);
    expect(fixture.problems.filter((p) => !refused.test(p))).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('moderation in the web client', suite);
else describe.skip(`moderation in the web client (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
