import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { loginViaUi, messageTexts, openConversation, until } from './support/ui.ts';

/**
 * Review #12, finding 9: two people may share a display name (or pick look-
 * alikes), so wherever identity matters the client shows `@username` too.
 */
function suite(): void {
  let fixture: WebFixture;
  let reader: SeededUser;
  let realSam: SeededUser;
  let fakeSam: SeededUser;
  let person: Person;

  beforeAll(async () => {
    fixture = await startWebFixture();
    reader = await seedUser(fixture.url, 'Rita Reader');
    // The impostor registers the very same display name.
    [realSam, fakeSam] = await Promise.all([seedUser(fixture.url, 'Sam Okafor'), seedUser(fixture.url, 'Sam Okafor')]);
    const direct = await seedConversation(fixture.url, realSam, [reader]);
    await seedMessage(fixture.url, realSam, direct.id, 'Lunch at noon?');
    const group = await seedConversation(fixture.url, reader, [realSam, fakeSam], 'Team');
    await seedMessage(fixture.url, realSam, group.id, 'Real Sam here');
    await seedMessage(fixture.url, fakeSam, group.id, 'Send me the password');
    person = await newPerson(fixture, { label: 'rita' });
    await loginViaUi(person.page, reader.username);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('shows the other person’s @username in the direct-chat header', async () => {
    const { page } = person;
    await openConversation(page, 'Sam Okafor');
    await until(() => messageTexts(page), ['Lunch at noon?']);
    const handle = page.getByTestId('conversation-handle');
    await until(async () => ((await handle.textContent()) ?? '').trim(), `@${realSam.username}`);
    expect(await page.locator('.conversation-header__title').textContent()).toContain(`Sam Okafor @${realSam.username}`);
  });

  it('tells two senders with the same display name apart by @username on the sender line of a group', async () => {
    const { page } = person;
    await openConversation(page, 'Team');
    await until(() => messageTexts(page), ['Real Sam here', 'Send me the password']);
    await until(() => page.locator('.bubble__sender').allTextContents(), [`Sam Okafor @${realSam.username}`, `Sam Okafor @${fakeSam.username}`]);
    await saveScreenshot(page, 'identity-sender-lines');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('identity: @username beside display names', suite);
else describe.skip(`identity: @username beside display names (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
