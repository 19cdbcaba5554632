import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { messageTexts, registerViaUi, send, startDirectChat, statusOf, uniqueUsername, until } from './support/ui.ts';

/** Messages waiting in the page's IndexedDB outbox. */
function outboxSize(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('parley-web');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('outbox')) return resolve(0);
          const count = db.transaction('outbox').objectStore('outbox').count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        };
      }),
  );
}

function banner(page: Page) {
  return page.getByTestId('connection-banner');
}

function connectionState(page: Page): Promise<string | null> {
  return page.locator('.banner-slot').getAttribute('data-connection');
}

/**
 * Losing the network. Chromium's offline switch fires the page's `offline`
 * event and refuses new connections, but leaves an open WebSocket open,
 * holding its frames until the network is back. The app does not trust that
 * socket: it closes it on `offline` (checked below through the connection
 * state), queues sends in the outbox, and reconnects on `online`; the SDK
 * then resumes from its cursors and sends the outbox in order.
 */
function suite(): void {
  let fixture: WebFixture;
  let alice: Person;
  let bob: Person;
  const names = { alice: uniqueUsername('alice'), bob: uniqueUsername('bob') };
  const history: string[] = [];
  let conversationPath = '';

  beforeAll(async () => {
    fixture = await startWebFixture();
    alice = await newPerson(fixture, { label: 'alice' });
    bob = await newPerson(fixture, { label: 'bob' });
    await registerViaUi(alice.page, names.alice, 'Alice');
    await registerViaUi(bob.page, names.bob, 'Bob');
    await startDirectChat(bob.page, names.alice, 'Alice');
    await send(bob.page, 'Are you there?');
    history.push('Are you there?');
    await startDirectChat(alice.page, names.bob, 'Bob');
    await until(() => messageTexts(alice.page), history);
    conversationPath = new URL(alice.page.url()).pathname;
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('three messages written offline arrive once each, in order, on both sides, when the network is back', async () => {
    await alice.context.setOffline(true);
    await banner(alice.page).filter({ hasText: 'You are offline' }).waitFor();
    await until(() => connectionState(alice.page), 'disconnected');

    for (const text of ['offline one', 'offline two', 'offline three']) await send(alice.page, text);
    await until(async () => Promise.all(['offline one', 'offline two', 'offline three'].map((t) => statusOf(alice.page, t))), [
      'pending',
      'pending',
      'pending',
    ]);
    expect(await messageTexts(bob.page)).toEqual(history);

    await alice.context.setOffline(false);
    history.push('offline one', 'offline two', 'offline three');
    await until(() => messageTexts(bob.page), history);
    await until(() => messageTexts(alice.page), history);
    await banner(alice.page).waitFor({ state: 'detached' });
    expect(await connectionState(alice.page)).toBe('connected');
    // Bob has the conversation open: each of them is read, which means each was stored with its seq.
    await until(async () => Promise.all(['offline one', 'offline two', 'offline three'].map((t) => statusOf(alice.page, t))), [
      'read',
      'read',
      'read',
    ]);
    expect(await outboxSize(alice.page)).toBe(0);

    // What the server stored is the same: a fresh load of the conversation's URL shows it once each, in order.
    await bob.page.goto(conversationPath);
    await until(() => messageTexts(bob.page), history);
  });

  it('a message written offline survives closing the tab, and is sent once by the next one', async () => {
    await alice.context.setOffline(true);
    await banner(alice.page).filter({ hasText: 'You are offline' }).waitFor();
    await send(alice.page, 'written before closing the tab');
    await until(() => statusOf(alice.page, 'written before closing the tab'), 'pending');
    await until(() => outboxSize(alice.page), 1);
    await alice.page.close();

    await alice.context.setOffline(false);
    const page = await alice.context.newPage();
    page.on('pageerror', (err) => fixture.problems.push(`alice (new tab): page error: ${err.message}`));
    await page.goto(conversationPath);
    history.push('written before closing the tab');
    await until(() => messageTexts(bob.page), history);
    await until(() => messageTexts(page), history);
    await until(() => outboxSize(page), 0);
    alice.page = page;
  });

  it('shows a reconnecting banner while the socket is down, and "Retry now" reconnects and catches up', async () => {
    // The server drops Bob's socket as it does a client it rate-limits (4429): the SDK then waits
    // at least ten seconds before trying again, long enough for the banner to show.
    const bobId = await bob.page.evaluate(() => JSON.parse(localStorage.getItem('parley.session')!).user.id as string);
    const sockets = [...fixture.server.parley.hub.connections()].filter((c) => c.userId === bobId);
    expect(sockets.length).toBeGreaterThan(0);
    for (const socket of sockets) socket.close(4429, 'test: rate limited');
    await banner(bob.page).filter({ hasText: 'Connection lost. Reconnecting…' }).waitFor();

    await send(alice.page, 'sent while Bob was away');
    history.push('sent while Bob was away');
    await until(() => statusOf(alice.page, 'sent while Bob was away'), 'sent');

    await banner(bob.page).getByRole('button', { name: 'Retry now' }).click();
    await banner(bob.page).waitFor({ state: 'detached' });
    await until(() => messageTexts(bob.page), history);
    await until(() => statusOf(alice.page, 'sent while Bob was away'), 'read');
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('offline and back', suite);
else describe.skip(`offline and back (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
