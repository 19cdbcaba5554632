import type { ConversationId, UserId } from '@parley/protocol';

/**
 * Unsent text, per signed-in person and conversation, in localStorage so it
 * survives a reload. One key per person (`parley.drafts.<user id>`), so
 * someone else signing in on this device never sees it, and logging out
 * removes it whole. Sending clears a conversation's draft.
 */
const PREFIX = 'parley.drafts.';

type Drafts = Record<ConversationId, string>;

const listeners = new Set<() => void>();
/** Parsed once per person and kept: the list asks for every row on every change. */
let cache: { userId: UserId; drafts: Drafts } | null = null;

function keyOf(userId: UserId): string {
  return PREFIX + userId;
}

function read(userId: UserId): Drafts {
  if (cache?.userId === userId) return cache.drafts;
  let drafts: Drafts = {};
  try {
    const value = JSON.parse(localStorage.getItem(keyOf(userId)) ?? '{}') as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      drafts = Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
    }
  } catch {
    // Storage disabled or a value that is not ours: no drafts.
  }
  cache = { userId, drafts };
  return drafts;
}

function changed(): void {
  for (const listener of listeners) listener();
}

export function loadDraft(userId: UserId, conversationId: ConversationId): string {
  return read(userId)[conversationId] ?? '';
}

/** Stores what is in the composer; blank text removes the draft. */
export function saveDraft(userId: UserId, conversationId: ConversationId, text: string): void {
  const drafts = { ...read(userId) };
  if (text.trim() === '') delete drafts[conversationId];
  else drafts[conversationId] = text;
  cache = { userId, drafts };
  try {
    if (Object.keys(drafts).length === 0) localStorage.removeItem(keyOf(userId));
    else localStorage.setItem(keyOf(userId), JSON.stringify(drafts));
  } catch {
    // Storage full or disabled: the draft lasts as long as the page.
  }
  changed();
}

/** On logout: this person's drafts leave the device. */
export function clearDrafts(userId: UserId): void {
  cache = null;
  try {
    localStorage.removeItem(keyOf(userId));
  } catch {
    // Nothing stored.
  }
  changed();
}

/** Calls `listener` when a draft changes, in this tab or another one. */
export function subscribeDrafts(listener: () => void): () => void {
  const onStorage = (event: StorageEvent): void => {
    if (event.key !== null && !event.key.startsWith(PREFIX)) return;
    cache = null;
    listener();
  };
  listeners.add(listener);
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}
