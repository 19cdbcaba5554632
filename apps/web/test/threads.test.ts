import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageView, ThreadPage } from '@parley/protocol';
import type { Page } from 'playwright-core';
import { api, textMessage } from '../../../packages/server/test/support/harness.ts';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, signedInPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { seedConversation, seedMessage, seedUser, type SeededUser } from './support/seed.ts';
import { conversationTitle, listItem, loginViaUi, messageTexts, messageWith, openConversation, unnamedControls, unreadBadge, until } from './support/ui.ts';

/**
 * The thread panel in the web client (#15): a member opens a thread on a
 * message from its actions and replies; the other member sees the root's
 * reply count arrive live with an unread mark, opens the thread from it,
 * which clears the mark, and replies back, live in the first member's open
 * panel. Replies stay in the thread (not in the timeline). Escape closes the
 * panel, `?thread=<seq>` reopens it after a reload, a long thread is paged
 * from the server, and on a phone the panel covers the conversation.
 */
function suite(): void {
  let fixture: WebFixture;
  let ann: SeededUser, ben: SeededUser;
  let annP: Person, benP: Person;
  let directId: string;
  let rootSeq: number;
  const ROOT = 'Who reviews the release notes?';
  const ANN_REPLY = 'I can take them';
  const BEN_REPLY = 'Thanks, by Friday please';

  beforeAll(async () => {
    fixture = await startWebFixture();
    [ann, ben] = await Promise.all([seedUser(fixture.url, 'Ann Threader'), seedUser(fixture.url, 'Ben Reader')]);
    directId = (await seedConversation(fixture.url, ben, [ann])).id;
    await seedMessage(fixture.url, ben, directId, ROOT);
    await seedMessage(fixture.url, ben, directId, 'and lunch is at noon');
    [annP, benP] = await Promise.all([signedInPerson(fixture, ann.username, 'ann'), signedInPerson(fixture, ben.username, 'ben')]);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  const panel = (page: Page) => page.getByRole('complementary', { name: 'Thread' });
  const replyTexts = (page: Page) => page.locator('.thread-panel__list[aria-label="Replies"] li.message .bubble__text').allTextContents();
  const summaryCount = async (page: Page, text: string) => (await messageWith(page, text).locator('.thread-summary__count').allTextContents()).join();
  const unreadMarks = (page: Page, text: string) => messageWith(page, text).getByTestId('thread-unread').count();
  const focusedClass = (page: Page) => page.evaluate(() => document.activeElement?.className ?? '');

  async function replyInPanel(page: Page, text: string): Promise<void> {
    const field = page.getByRole('textbox', { name: 'Reply in thread' });
    await field.fill(text);
    await field.press('Enter');
  }

  it('opens a thread from the message actions; replies stay in it, arrive live on both sides, and mark it unread until opened', async () => {
    await openConversation(annP.page, 'Ben Reader');
    await openConversation(benP.page, 'Ann Threader');
    const root = messageWith(annP.page, ROOT);
    await root.waitFor();
    rootSeq = Number(await root.getAttribute('data-seq'));
    await root.hover();
    await root.getByRole('button', { name: 'More actions' }).click();
    await annP.page.getByRole('dialog', { name: 'Message actions' }).getByRole('button', { name: 'Reply in thread', exact: true }).click();

    const annPanel = panel(annP.page);
    await annPanel.waitFor();
    expect(new URL(annP.page.url()).search).toBe(`?thread=${rootSeq}`);
    expect(await annPanel.locator('.thread-panel__root .bubble__text').textContent()).toBe(ROOT);
    expect(await annPanel.locator('.thread-panel__count').textContent()).toBe('No replies yet');
    // A desktop opens the panel with the cursor in its composer.
    expect(await focusedClass(annP.page)).toContain('composer__field');
    await replyInPanel(annP.page, ANN_REPLY);
    await until(() => replyTexts(annP.page), [ANN_REPLY]);
    await until(() => summaryCount(annP.page, ROOT), '1 reply');
    // The reply stays in its thread: the timeline has the root and its summary, not the reply.
    expect(await messageTexts(annP.page)).toEqual([ROOT, 'and lunch is at noon']);
    expect(await unreadMarks(annP.page, ROOT)).toBe(0);

    // Ben sees the count live, marked unread in the thread (and not in the conversation's unread count).
    const { page } = benP;
    await until(() => summaryCount(page, ROOT), '1 reply');
    await until(() => unreadMarks(page, ROOT), 1);
    expect(await messageTexts(page)).toEqual([ROOT, 'and lunch is at noon']);
    expect(await unreadBadge(page, 'Ann Threader')).toBe('');

    await messageWith(page, ROOT).getByRole('button', { name: /^1 reply, last reply .*, unread replies\. Open thread$/ }).click();
    await panel(page).waitFor();
    await until(() => replyTexts(page), [ANN_REPLY]);
    await until(() => unreadMarks(page, ROOT), 0);
    await replyInPanel(page, BEN_REPLY);

    // Live in Ann's open panel, which counts as read: no mark, and the server has her cursor at the reply.
    await until(() => replyTexts(annP.page), [ANN_REPLY, BEN_REPLY]);
    await until(() => summaryCount(annP.page, ROOT), '2 replies');
    await until(async () => {
      const res = await api<ThreadPage>(fixture.url, 'GET', `/api/v1/conversations/${directId}/threads/${rootSeq}`, { token: ann.token });
      return { read: res.body.read_seq === res.body.root.thread?.last_reply_seq, unread: res.body.unread_count };
    }, { read: true, unread: 0 });
    expect(await unreadMarks(annP.page, ROOT)).toBe(0);
    // The conversation list's preview says the last message is in a thread (it is not in the timeline).
    const preview = (p: Page) => listItem(p, p === page ? 'Ann Threader' : 'Ben Reader').locator('.conversation__preview').textContent();
    await until(() => preview(annP.page), `In a thread: ${BEN_REPLY}`);
    await until(() => preview(page), `You, in a thread: ${BEN_REPLY}`);
    // The summary, the panel's buttons and its composer have names a screen reader can read out.
    expect(await unnamedControls(annP.page)).toEqual([]);
    await saveScreenshot(annP.page, 'thread-panel');
  });

  it('closes with Escape (focus back on the summary), reopens from the keyboard; a reload with ?thread= reopens it, and a link to a reply opens its thread', async () => {
    const { page } = benP;
    await page.getByRole('textbox', { name: 'Reply in thread' }).press('Escape');
    await panel(page).waitFor({ state: 'detached' });
    expect(new URL(page.url()).search).toBe('');
    expect(await focusedClass(page)).toContain('thread-summary');

    await page.keyboard.press('Enter');
    await panel(page).waitFor();
    expect(new URL(page.url()).search).toBe(`?thread=${rootSeq}`);
    await page.reload();
    await panel(page).waitFor();
    await until(() => replyTexts(page), [ANN_REPLY, BEN_REPLY]);
    const replySeq = await panel(page).locator('li.message', { has: page.locator('.bubble__text', { hasText: BEN_REPLY }) }).getAttribute('data-seq');
    await panel(page).getByRole('button', { name: 'Close thread' }).click();
    await panel(page).waitFor({ state: 'detached' });
    expect(new URL(page.url()).pathname).toBe(`/c/${directId}`);

    // A message link (Copy link, ?m=) to a thread reply opens its thread.
    await page.goto(`/c/${directId}?m=${replySeq}`);
    await panel(page).waitFor();
    expect(new URL(page.url()).search).toBe(`?thread=${rootSeq}`);
    await panel(page).getByRole('button', { name: 'Close thread' }).click();
    await panel(page).waitFor({ state: 'detached' });
  });

  it('pages a long thread from the server as the reader scrolls down it', async () => {
    const sent = await api<MessageView>(fixture.url, 'POST', `/api/v1/conversations/${directId}/messages`, { token: ben.token, body: textMessage('A long discussion') });
    const longRoot = sent.body.seq;
    const replies = Array.from({ length: 60 }, (_, i) => `point ${i + 1}`);
    for (const text of replies) {
      const res = await api(fixture.url, 'POST', `/api/v1/conversations/${directId}/messages`, { token: ben.token, body: { ...textMessage(text), reply_to: longRoot, thread: true } });
      expect(res.status).toBe(201);
    }
    const { page } = annP;
    await page.goto(`/c/${directId}?thread=${longRoot}`);
    await panel(page).waitFor();
    // The first page (50, the oldest), then the rest once the reader reaches its end.
    await until(() => replyTexts(page), replies.slice(0, 50));
    const more = panel(page).getByRole('button', { name: 'Show more replies' });
    await more.scrollIntoViewIfNeeded();
    await until(() => replyTexts(page), replies);
    expect(await panel(page).locator('.thread-panel__count').textContent()).toBe('60 replies');
    await until(() => more.count(), 0);
  });

  it('on a 360 px phone the thread covers the conversation as a dialog with a back button', async () => {
    const phone = await newPerson(fixture, { width: 360, height: 740, label: 'phone' });
    const { page } = phone;
    await loginViaUi(page, ben.username);
    await page.goto(`/c/${directId}?thread=${rootSeq}`);
    const dialog = page.getByRole('dialog', { name: 'Thread' });
    await dialog.waitFor();
    expect(await dialog.boundingBox()).toEqual({ x: 0, y: 0, width: 360, height: 740 });
    await until(() => replyTexts(page), [ANN_REPLY, BEN_REPLY]);
    // The dialog has the focus (its composer with a fine pointer, else its back button).
    expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);
    await replyInPanel(page, 'sent from my phone');
    await until(() => replyTexts(page), [ANN_REPLY, BEN_REPLY, 'sent from my phone']);
    await saveScreenshot(page, 'phone-thread-panel');
    await dialog.getByRole('button', { name: 'Back to conversation' }).click();
    await dialog.waitFor({ state: 'detached' });
    await conversationTitle(page, 'Ann Threader').waitFor();
    await until(() => summaryCount(page, ROOT), '3 replies');
    await phone.context.close();
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('thread panel in the web client', suite);
else describe.skip(`thread panel in the web client (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
