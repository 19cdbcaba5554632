import type { Locator, Page } from 'playwright-core';
import { eventually } from '../../../../packages/server/test/support/eventually.ts';

export { eventually };

/** JSON with object keys sorted: two objects with the same entries compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Waits (bounded) until `read()` returns `expected` (compared as JSON, object keys in any order); fails with the last value seen. */
export async function until<T>(read: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<void> {
  let last: T | undefined;
  try {
    await eventually(
      async () => {
        last = await read();
        return canonical(last) === canonical(expected);
      },
      { timeoutMs, intervalMs: 50 },
    );
  } catch {
    throw new Error(`expected ${JSON.stringify(expected)}, last saw ${JSON.stringify(last)}`);
  }
}

let counter = 0;
/** A username unique within the run (the database is fresh per file, but tests in a file share it). */
export function uniqueUsername(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${(counter++).toString(36)}`.slice(0, 32);
}

export const PASSWORD = 'correct horse battery';

/** Registers through the form and waits for the chat screen. */
export async function registerViaUi(page: Page, username: string, displayName: string): Promise<void> {
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel(/Display name/).fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await page.getByRole('heading', { name: /^Chats/ }).waitFor({ timeout: 15_000 });
}

/** Opens (or creates) the direct conversation with `username` through the New chat dialog. */
export async function startDirectChat(page: Page, username: string, displayName: string): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).first().click();
  await page.getByRole('dialog', { name: 'New chat' }).getByLabel('Find someone').fill(username);
  await page.getByRole('button', { name: `Chat with ${displayName} (@${username})` }).click();
  await conversationTitle(page, displayName).waitFor();
}

export function conversationTitle(page: Page, title: string): Locator {
  return page.locator('.conversation-header__title', { hasText: title });
}

/** The row of a conversation in the list. */
export function listItem(page: Page, title: string): Locator {
  return page.locator('button.conversation', { has: page.locator('.conversation__title', { hasText: title }) });
}

export async function openConversation(page: Page, title: string): Promise<void> {
  await listItem(page, title).click();
  await conversationTitle(page, title).waitFor();
}

/** Types into the composer and presses Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const field = page.getByRole('textbox', { name: 'Message' });
  await field.fill(text);
  await field.press('Enter');
}

/** The open conversation's message whose text holds `text`. */
export function messageWith(page: Page, text: string): Locator {
  return page.locator('.messages__list li.message', { has: page.locator('.bubble__text', { hasText: text }) });
}

/** The text of every message shown in the open conversation, in order (system lines excluded). */
export function messageTexts(page: Page): Promise<string[]> {
  return page.locator('.messages__list li.message .bubble__text').allTextContents();
}

/** The ticks of the open conversation's message with this text: pending, failed, sent, delivered or read. */
export async function statusOf(page: Page, text: string): Promise<string | null> {
  const item = page.locator('.messages__list li.message', { has: page.locator('.bubble__text', { hasText: text }) });
  if ((await item.count()) !== 1) return `${await item.count()} messages match`;
  return item.locator('.ticks').getAttribute('data-status');
}

/** The unread badge of a conversation in the list ('' when there is none). */
export async function unreadBadge(page: Page, title: string): Promise<string> {
  const badge = listItem(page, title).locator('[data-testid="unread-badge"]');
  if ((await badge.count()) === 0) return '';
  // The badge's visible number, without its screen-reader words.
  return (await badge.evaluate((el) => el.firstChild?.textContent ?? '')).trim();
}

export async function typingText(page: Page): Promise<string> {
  return ((await page.getByTestId('typing-indicator').textContent()) ?? '').trim();
}

/** Signs in through the form and waits for the chat screen. */
export async function loginViaUi(page: Page, username: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: /^Chats/ }).waitFor({ timeout: 15_000 });
}

/** Controls without a name a screen reader could read out, as CSS paths. */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, a[href], input, textarea, [role="tab"]')) {
      const labelled =
        (el.getAttribute('aria-label') ?? '').trim() ||
        (el.getAttribute('aria-labelledby') ?? '').trim() ||
        ('labels' in el && (el as HTMLInputElement).labels && (el as HTMLInputElement).labels!.length > 0) ||
        (el.textContent ?? '').trim();
      if (!labelled) out.push(`${el.tagName.toLowerCase()}.${el.className}`);
    }
    return out;
  });
}
