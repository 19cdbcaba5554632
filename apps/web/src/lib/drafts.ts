import type { ConversationId, UserId } from '@parley/protocol';
import type { ReplyDraft } from '../hooks/use-message-context.ts';

/**
 * Unsent text, and the message it will reply to, per signed-in person and
 * conversation, in localStorage so both survive a reload. One key per person
 * (`parley.drafts.<user id>`), so someone else signing in on this device
 * never sees it, and logging out removes it whole. Sending clears a
 * conversation's draft.
 */
const PREFIX = 'parley.drafts.';

/** A conversation's draft: its text, and the reply it is (quote included, so it shows before history loads). */
interface Draft {
  text?: string;
  reply?: ReplyDraft;
}
type Drafts = Record<ConversationId, Draft>;

const isReply = (value: unknown): value is ReplyDraft => {
  const r = value as Partial<ReplyDraft> | null;
  return !!r && Number.isSafeInteger(r.seq) && typeof r.name === 'string' && typeof r.text === 'string';
};
/** A stored draft as this version writes it: anything else is not ours and is dropped. */
const isDraft = (value: unknown): value is Draft => {
  const d = value as Draft | null;
  return !!d && typeof d === 'object' && (d.text === undefined || typeof d.text === 'string') && (d.reply === undefined || isReply(d.reply));
};

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
      drafts = Object.fromEntries(Object.entries(value).filter((e): e is [string, Draft] => isDraft(e[1])));
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
  return read(userId)[conversationId]?.text ?? '';
}

/** The message the composer is replying to, or null. */
export function loadReplyDraft(userId: UserId, conversationId: ConversationId): ReplyDraft | null {
  return read(userId)[conversationId]?.reply ?? null;
}

/** Stores what is in the composer; blank text removes it (the draft goes when it holds no reply either). */
export function saveDraft(userId: UserId, conversationId: ConversationId, text: string): void {
  const { text: _old, ...rest } = read(userId)[conversationId] ?? {};
  write(userId, conversationId, text.trim() === '' ? rest : { ...rest, text });
}

/** Stores the message the composer replies to; null forgets it (a send, or Cancel reply). */
export function saveReplyDraft(userId: UserId, conversationId: ConversationId, reply: ReplyDraft | null): void {
  const { reply: _old, ...rest } = read(userId)[conversationId] ?? {};
  write(userId, conversationId, reply ? { ...rest, reply } : rest);
}

function write(userId: UserId, conversationId: ConversationId, draft: Draft): void {
  const drafts = { ...read(userId) };
  if (draft.text === undefined && draft.reply === undefined) delete drafts[conversationId];
  else drafts[conversationId] = draft;
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
