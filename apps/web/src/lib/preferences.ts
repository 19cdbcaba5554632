import type { ConversationId, UserId } from '@parley/protocol';
import { useSyncExternalStore } from 'react';

/**
 * Choices a person makes on this device, in localStorage:
 * - the theme, for the device (the sign-in screen follows it too);
 * - notification settings and muted conversations, per person
 *   (`parley.prefs.<user id>`), so someone else signing in here starts from
 *   the defaults. They stay on the device: another device has its own.
 */
export type Theme = 'system' | 'light' | 'dark';

export interface PersonPrefs {
  /** Desktop notifications for new messages while the tab is hidden (needs the browser's permission too). */
  notify: boolean;
  /** A short sound for new messages while the tab is hidden. */
  sound: boolean;
  /** Conversations that neither notify nor sound. */
  muted: ConversationId[];
}

const THEME_KEY = 'parley.theme';
const PREFS_PREFIX = 'parley.prefs.';
const DEFAULTS: PersonPrefs = { notify: false, sound: false, muted: [] };

const listeners = new Set<() => void>();
const cache = new Map<string, unknown>();

function changed(): void {
  cache.clear();
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent): void => {
    if (event.key === null || event.key === THEME_KEY || event.key.startsWith(PREFS_PREFIX)) changed();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

function readStorage(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled: defaults
  }
}

function writeStorage(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage full or disabled: the choice lasts until the page reloads.
  }
  changed();
}

export function loadTheme(): Theme {
  const value = readStorage(THEME_KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** Puts the theme on <html>: `system` leaves the choice to the browser's colour scheme. */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export function saveTheme(theme: Theme): void {
  applyTheme(theme);
  writeStorage(THEME_KEY, theme);
}

export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, loadTheme);
}

export function loadPrefs(userId: UserId): PersonPrefs {
  const key = PREFS_PREFIX + userId;
  const cached = cache.get(key) as PersonPrefs | undefined;
  if (cached) return cached;
  let prefs = DEFAULTS;
  try {
    const value = JSON.parse(readStorage(key) ?? '{}') as Partial<PersonPrefs>;
    prefs = {
      notify: value.notify === true,
      sound: value.sound === true,
      muted: Array.isArray(value.muted) ? value.muted.filter((id): id is string => typeof id === 'string') : [],
    };
  } catch {
    // Not ours or not JSON: the defaults.
  }
  cache.set(key, prefs);
  return prefs;
}

export function savePrefs(userId: UserId, change: Partial<PersonPrefs>): void {
  writeStorage(PREFS_PREFIX + userId, JSON.stringify({ ...loadPrefs(userId), ...change }));
}

export function setMuted(userId: UserId, conversationId: ConversationId, muted: boolean): void {
  const others = loadPrefs(userId).muted.filter((id) => id !== conversationId);
  savePrefs(userId, { muted: muted ? [...others, conversationId] : others });
}

export function usePrefs(userId: UserId): PersonPrefs {
  return useSyncExternalStore(subscribe, () => loadPrefs(userId));
}
