import type { UserId } from '@parley/protocol';
import { DEFAULT_FREQUENT } from './emoji-data.ts';

/** How many emoji the picker offers up front. */
const FRONT = 8;
/** Counts are kept for at most this many emoji (the rest are forgotten, least used first). */
const KEEP = 40;

const key = (me: UserId): string => `parley:emoji:${me}`;

function counts(me: UserId): Record<string, number> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key(me)) ?? '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** The emoji this person reacts with most on this device, topped up with common ones. */
export function frequentEmoji(me: UserId): string[] {
  const used = Object.entries(counts(me))
    .filter(([, n]) => typeof n === 'number')
    .sort((a, b) => b[1] - a[1])
    .map(([e]) => e);
  return [...new Set([...used, ...DEFAULT_FREQUENT])].slice(0, FRONT);
}

/** Counts one use of an emoji as a reaction. */
export function recordEmoji(me: UserId, emoji: string): void {
  const all = counts(me);
  all[emoji] = (all[emoji] ?? 0) + 1;
  const kept = Object.fromEntries(Object.entries(all).sort((a, b) => b[1] - a[1]).slice(0, KEEP));
  try {
    localStorage.setItem(key(me), JSON.stringify(kept));
  } catch {
    // Storage full or refused: the picker falls back to the common ones.
  }
}
