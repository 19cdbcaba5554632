import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_BIN, HAS_CHROMIUM, newPerson, saveScreenshot, startWebFixture, type WebFixture } from './support/browser.ts';
import { seedConversation, seedUser, type SeededUser } from './support/seed.ts';
import { loginViaUi } from './support/ui.ts';

function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? '';
  });
}

const signedOut = (page: Page) => page.getByRole('button', { name: 'Sign in', exact: true });

/** Logging out is neither where the keyboard starts nor one stray click away. */
function suite(): void {
  let fixture: WebFixture;
  let sol: SeededUser;

  beforeAll(async () => {
    fixture = await startWebFixture();
    let tom: SeededUser;
    [sol, tom] = await Promise.all([seedUser(fixture.url, 'Sol Signout'), seedUser(fixture.url, 'Tom Other')]);
    await seedConversation(fixture.url, sol, [tom]);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('the keyboard reaches New group, New chat and the list before Log out', async () => {
    const { page, context } = await newPerson(fixture, { label: 'sol-keys' });
    await loginViaUi(page, sol.username);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      order.push(await focusedName(page));
    }
    expect(order[0]).not.toBe('Log out');
    const logout = order.indexOf('Log out');
    for (const name of ['New group', 'New chat']) {
      expect(order.indexOf(name)).toBeGreaterThanOrEqual(0);
      if (logout >= 0) expect(order.indexOf(name)).toBeLessThan(logout);
    }
    await context.close();
  });

  it('one click on Log out asks; Escape keeps you signed in with focus back on it; the dialog logs out', async () => {
    const { page, context } = await newPerson(fixture, { label: 'sol' });
    await loginViaUi(page, sol.username);
    const button = page.getByRole('button', { name: 'Log out' });
    await button.click();
    const confirm = page.getByRole('dialog', { name: 'Log out?' });
    await confirm.waitFor();
    expect(await focusedName(page)).toBe('Cancel');
    await saveScreenshot(page, 'logout-confirm');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await signedOut(page).count()).toBe(0);
    // A stray Enter on the dialog's first focus cancels too.
    await page.keyboard.press('Enter');
    await confirm.waitFor();
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    expect(await signedOut(page).count()).toBe(0);

    await button.click();
    await confirm.getByRole('button', { name: 'Log out' }).click();
    await signedOut(page).waitFor();
    await context.close();
  });

  it('on a phone, Log out is on the list screen and asks too', async () => {
    const { page, context } = await newPerson(fixture, { label: 'sol-phone', width: 360, height: 640 });
    await loginViaUi(page, sol.username);
    const button = page.getByRole('button', { name: 'Log out' });
    await button.waitFor({ state: 'visible' });
    expect(await button.evaluate((el) => { const b = el.getBoundingClientRect(); return b.right <= window.innerWidth && b.bottom <= window.innerHeight; })).toBe(true);
    await button.click();
    await page.getByRole('dialog', { name: 'Log out?' }).getByRole('button', { name: 'Log out' }).click();
    await signedOut(page).waitFor();
    await context.close();
  });

  it('showed no page errors, console errors or CSP violations', () => {
    expect(fixture.problems).toEqual([]);
  });
}

if (HAS_CHROMIUM) describe('sign-out', suite);
else describe.skip(`sign-out (skipped: needs Chromium at ${CHROMIUM_BIN} or CHROMIUM_BIN)`, suite);
