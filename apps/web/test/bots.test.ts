import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { loginViaUi, messageTexts, openConversation, until } from './support/ui.ts';

/** Bots and integrations are marked where their messages are shown (issue #19). */
function suite(): void {
  let fixture: WebFixture;
  let reader: SeededUser;
  let person: Person;

  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(fixture.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return (await res.json()) as Record<string, string>;
  };

  beforeAll(async () => {
    fixture = await startWebFixture();
    reader = await seedUser(fixture.url, 'Rita Reader');
    const colleague = await seedUser(fixture.url, 'Cole League');
    const group = await seedConversation(fixture.url, reader, [colleague], 'Ops');
    await seedMessage(fixture.url, colleague, group.id, 'Deploying now');
    // A bot member who speaks, and a webhook that posts with a display name of its choosing.
    const bot = await post('/api/v1/bots', { username: `deploybot${Date.now().toString(36)}`, display_name: 'Deploy bot' }, reader.token);
    await fetch(`${fixture.url}/api/v1/conversations/${group.id}/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${reader.token}` },
      body: JSON.stringify({ user_ids: [bot.id] }),
    });
    const issued = await post(`/api/v1/bots/${bot.id}/tokens`, { name: 'web-test' }, reader.token);
    const session = await post('/api/v1/auth/bot', { token: issued.token });
    await post(`/api/v1/conversations/${group.id}/messages`, { type: 'text', text: 'Deploy finished', client_msg_id: 'b-1' }, session.access_token);
    const hook = await post(`/api/v1/conversations/${group.id}/webhooks`, { name: 'Alerts' }, reader.token);
    await post(hook.path!, { text: 'Disk 91% full', display_name: 'Grafana' });
    person = await newPerson(fixture, { label: 'rita' });
    await loginViaUi(person.page, reader.username);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('marks a bot and an integration on their sender lines, a person not at all', async () => {
    const { page } = person;
    await openConversation(page, 'Ops');
    await until(() => messageTexts(page), ['Deploying now', 'Deploy finished', 'Disk 91% full']);
    const senders = await page.locator('.bubble__sender').allTextContents();
    expect(senders[0]).toMatch(/^Cole League @/);
    expect(senders[1]).toMatch(/^Deploy botbot @deploybot/);
    expect(senders[2]).toMatch(/^Grafanaintegration @webhook-/);
    expect(await page.locator('.bot-badge').count()).toBe(2);
    await saveScreenshot(page, 'bots-sender-lines');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('bots and integrations are marked', suite);
else describe.skip(`bots and integrations are marked (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
