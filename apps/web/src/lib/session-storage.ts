import type { SessionData } from '@parley/sdk';

/** Where the session lives between reloads. Tabs share it: see `ClientProvider` for how they stay in step. */
export const SESSION_KEY = 'parley.session';

/** Reads a stored session; anything that does not look like one is treated as none. */
export function parseSession(raw: string | null): SessionData | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<SessionData> | null;
    if (
      !value ||
      typeof value.access_token !== 'string' ||
      typeof value.refresh_token !== 'string' ||
      typeof value.expires_at !== 'number' ||
      typeof value.user?.id !== 'string'
    ) {
      return null;
    }
    return value as SessionData;
  } catch {
    return null;
  }
}

export function loadSession(): SessionData | null {
  try {
    return parseSession(localStorage.getItem(SESSION_KEY));
  } catch {
    // Storage disabled (some private modes): the session lasts as long as the page.
    return null;
  }
}

export function saveSession(session: SessionData | null): void {
  try {
    if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
    else localStorage.removeItem(SESSION_KEY);
  } catch {
    // As above: nothing to keep it in.
  }
}
