import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import {
  conversationTitle,
  messageTexts,
  openConversation,
  registerViaUi,
  send,
  startDirectChat,
  statusOf,
  typingText,
  uniqueUsername,
  unreadBadge,
  until,
} from './support/ui.ts';

/**
 * Two people in two browser profiles: they register, find each other, chat,
 * and see what a chat shows about the other side: ticks, unread counts,
 * typing. One browser, one server and one build for the whole file.
 */
function suite(): void {
  let fixture: WebFixture;
  let alice: Person;
  let bob: Person;
  const names = { alice: uniqueUsername('alice'), bob: uniqueUsername('bob') };

  beforeAll(async () => {
    fixture = await startWebFixture();
    alice = await newPerson(fixture, { label: 'alice' });
    bob = await newPerson(fixture, { label: 'bob' });
    await registerViaUi(alice.page, names.alice, 'Alice');
    await registerViaUi(bob.page, names.bob, 'Bob');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('ticks go sent → delivered → read as the message reaches Bob and Bob reads it', async () => {
    // Bob's browser loses its network: the message can reach the server but not him.
    await bob.context.setOffline(true);
    await startDirectChat(alice.page, names.bob, 'Bob');
    await send(alice.page, 'Hello Bob');
    await until(() => statusOf(alice.page, 'Hello Bob'), 'sent');

    // Back online, Bob's client catches up and reports the message delivered; he has not opened it.
    await bob.context.setOffline(false);
    await until(() => unreadBadge(bob.page, 'Alice'), '1');
    await until(() => statusOf(alice.page, 'Hello Bob'), 'delivered');

    await openConversation(bob.page, 'Alice');
    await until(() => messageTexts(bob.page), ['Hello Bob']);
    await until(() => statusOf(alice.page, 'Hello Bob'), 'read');
    await until(() => unreadBadge(bob.page, 'Alice'), '');
  });

  it('both sides see the same messages, once each and in order', async () => {
    await send(bob.page, 'Hi Alice! 👋');
    await send(alice.page, 'How are you?');
    await send(bob.page, 'Great, thanks');
    const expected = ['Hello Bob', 'Hi Alice! 👋', 'How are you?', 'Great, thanks'];
    await until(() => messageTexts(alice.page), expected);
    await until(() => messageTexts(bob.page), expected);
    // Bob is looking at the conversation: Alice's last message is read at once.
    await until(() => statusOf(alice.page, 'How are you?'), 'read');
  });

  it('unread badges count messages that arrive while the conversation is closed, and clear when it is opened', async () => {
    // Bob goes back to the list (the phone's Back button does the same).
    await bob.page.goBack();
    await conversationTitle(bob.page, 'Alice').waitFor({ state: 'detached' });
    await send(alice.page, 'one');
    await send(alice.page, 'two');
    await send(alice.page, 'three');
    await until(() => unreadBadge(bob.page, 'Alice'), '3');
    await until(() => statusOf(alice.page, 'three'), 'delivered');
    const preview = await bob.page.locator('button.conversation .conversation__preview').first().textContent();
    expect(preview).toBe('three');

    await openConversation(bob.page, 'Alice');
    await until(() => unreadBadge(bob.page, 'Alice'), '');
    await until(() => statusOf(alice.page, 'three'), 'read');
    // The count is the server's too: a reload (a fresh client) shows none.
    await bob.page.goto('/');
    await bob.page.locator('button.conversation').first().waitFor();
    await until(() => unreadBadge(bob.page, 'Alice'), '');
  });

  it('typing shows on the other side and goes away by itself', async () => {
    await openConversation(bob.page, 'Alice');
    await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('I am wri', { delay: 20 });
    await until(() => typingText(alice.page), 'Bob is typing…');
    // Bob stops typing (no keystroke, no send): the indicator does not stay forever.
    await until(() => typingText(alice.page), '', 15_000);

    // Sending ends it at once, and the message arrives.
    await bob.page.getByRole('textbox', { name: 'Message' }).pressSequentially('ting', { delay: 20 });
    await until(() => typingText(alice.page), 'Bob is typing…');
    await bob.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await until(() => typingText(alice.page), '');
    await until(async () => (await messageTexts(alice.page)).at(-1), 'I am writing');
  });

  it('a message Alice sends while Bob is offline and writing shows read once Bob is back, without a reload', async () => {
    // Both have the conversation open. Bob loses the network and writes; Alice writes meanwhile.
    await bob.context.setOffline(true);
    await until(() => bob.page.locator('.banner-slot').getAttribute('data-connection'), 'disconnected');
    await send(bob.page, 'Written on the train');
    await until(() => statusOf(bob.page, 'Written on the train'), 'pending');
    await send(alice.page, 'Are you on the train?');
    await until(() => statusOf(alice.page, 'Are you on the train?'), 'sent');

    // Bob is back: his message goes out after Alice's, and he reads hers in the open conversation.
    await bob.context.setOffline(false);
    await until(async () => (await messageTexts(bob.page)).slice(-2), ['Are you on the train?', 'Written on the train']);
    await until(async () => (await messageTexts(alice.page)).slice(-2), ['Are you on the train?', 'Written on the train']);
    // Alice sees it read without reloading.
    await until(() => statusOf(alice.page, 'Are you on the train?'), 'read');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('chat in the browser', suite);
else describe.skip(`chat in the browser (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
