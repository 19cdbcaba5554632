import type { WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, startWebFixture, type Person, type WebFixture } from './support/browser.ts';
import { messageTexts, registerViaUi, send, startDirectChat, statusOf, uniqueUsername, until } from './support/ui.ts';

/**
 * Retry and Delete of a message the server refused. The real server refuses
 * only sends this UI never makes (not a member, invalid), so the refusal is
 * injected: Alice's socket is routed through Playwright, which answers the
 * first `send_message` of a text starting with "REFUSE" with the `error`
 * frame a server would send, and passes everything else on to the real one.
 */
function suite(): void {
  let fixture: WebFixture;
  let alice: Person;
  let bob: Person;
  const names = { alice: uniqueUsername('alice'), bob: uniqueUsername('bob') };
  const refused = new Set<string>();
  /** `client_msg_id` of every send_message Alice's page wrote, by text. */
  const attempts = new Map<string, string[]>();

  function refuseOnce(ws: WebSocketRoute): void {
    const server = ws.connectToServer();
    ws.onMessage((data) => {
      const frame = typeof data === 'string' ? (JSON.parse(data) as Record<string, any>) : null;
      const message = frame?.type === 'send_message' ? frame.message : null;
      if (message) attempts.set(message.text, [...(attempts.get(message.text) ?? []), message.client_msg_id]);
      if (message && String(message.text).startsWith('REFUSE') && !refused.has(message.client_msg_id)) {
        refused.add(message.client_msg_id);
        ws.send(JSON.stringify({ type: 'error', id: frame!.id, code: 'forbidden', message: 'refused by the test' }));
        return;
      }
      server.send(data);
    });
  }

  beforeAll(async () => {
    fixture = await startWebFixture();
    alice = await newPerson(fixture, { label: 'alice' });
    bob = await newPerson(fixture, { label: 'bob' });
    await registerViaUi(alice.page, names.alice, 'Alice');
    await registerViaUi(bob.page, names.bob, 'Bob');
    await startDirectChat(bob.page, names.alice, 'Alice');
    await send(bob.page, 'Hi');
    // From here on Alice's socket goes through the route; the reload opens a new one.
    await alice.page.routeWebSocket(/\/ws$/, refuseOnce);
    await alice.page.reload();
    await startDirectChat(alice.page, names.bob, 'Bob');
    await until(() => messageTexts(alice.page), ['Hi']);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('a refused message says so, and Retry sends it (once) with the same id', async () => {
    await send(alice.page, 'REFUSE me once');
    await until(() => statusOf(alice.page, 'REFUSE me once'), 'failed');
    const failure = alice.page.getByRole('alert').filter({ hasText: 'Not sent.' });
    await failure.waitFor();
    // Said for people, from the error's code; the server's own words ("refused by the test") are not shown.
    expect(await failure.locator('span').textContent()).toBe('Not sent. You are not allowed to do that.');

    await failure.getByRole('button', { name: 'Retry' }).click();
    await until(() => messageTexts(bob.page), ['Hi', 'REFUSE me once']);
    await until(() => statusOf(alice.page, 'REFUSE me once'), 'read');
    expect(await failure.count()).toBe(0);
    const ids = attempts.get('REFUSE me once') ?? [];
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
  });

  it('Delete drops a refused message for good', async () => {
    await send(alice.page, 'REFUSE and delete');
    await until(() => statusOf(alice.page, 'REFUSE and delete'), 'failed');
    await alice.page.getByRole('alert').filter({ hasText: 'Not sent' }).getByRole('button', { name: 'Delete' }).click();
    await until(() => messageTexts(alice.page), ['Hi', 'REFUSE me once']);

    // Later messages still go, and the deleted one never does.
    await send(alice.page, 'after the delete');
    await until(() => messageTexts(bob.page), ['Hi', 'REFUSE me once', 'after the delete']);
    await until(() => messageTexts(alice.page), ['Hi', 'REFUSE me once', 'after the delete']);
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('failed sends', suite);
else describe.skip(`failed sends (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
