const time = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'long' });
const shortWeekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dayInYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long' });
const fullDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
const shortDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

const DAY_MS = 86_400_000;

/** Midnight (local) of the day `date` falls in, as a number for comparisons. */
export function dayKey(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

function daysAgo(date: Date, now: Date): number {
  return Math.round((dayKey(now) - dayKey(date)) / DAY_MS);
}

/** `14:05`, `9:05` (no leading zero), or `9:05 AM` in a 12-hour locale. */
export function formatTime(iso: string): string {
  return time.format(new Date(iso));
}

/** `Thursday, 3 December 2026 at 9:05`: the whole date and time, for a tooltip. */
export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

/** The heading of a day in a conversation: Today, Yesterday, a weekday this week, else the date. */
export function formatDay(date: Date, now = new Date()): string {
  const ago = daysAgo(date, now);
  if (ago === 0) return 'Today';
  if (ago === 1) return 'Yesterday';
  if (ago > 1 && ago < 7) return weekday.format(date);
  return date.getFullYear() === now.getFullYear() ? dayInYear.format(date) : fullDate.format(date);
}

/** A timestamp in the conversation list: the time today, the weekday this week, else a short date. */
export function formatListTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const ago = daysAgo(date, now);
  if (ago <= 0) return time.format(date);
  if (ago === 1) return 'Yesterday';
  if (ago < 7) return shortWeekday.format(date);
  return shortDate.format(date);
}

/** `last seen 5 minutes ago`, for a presence line. */
export function formatLastSeen(iso: string | null, now = Date.now()): string {
  if (!iso) return 'offline';
  const minutes = Math.max(0, Math.round((now - new Date(iso).getTime()) / 60_000));
  if (minutes < 1) return 'last seen just now';
  if (minutes < 60) return `last seen ${minutes} min ago`;
  const date = new Date(iso);
  const ago = daysAgo(date, new Date(now));
  if (ago === 0) return `last seen today at ${time.format(date)}`;
  if (ago === 1) return `last seen yesterday at ${time.format(date)}`;
  return `last seen ${shortDate.format(date)}`;
}

/** Up to two initials of a name, for an avatar. */
export function initials(name: string): string {
  const words = name.trim().split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]![0], words[1]![0]] : [...(words[0] ?? '?')].slice(0, 2);
  return letters.join('').toUpperCase();
}

/** A stable hue for an id, so a person keeps their avatar colour everywhere. */
export function hueOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) | 0;
  return Math.abs(hash) % 360;
}

/** A call's length as m:ss without a leading zero (0:12, 12:05), or h:mm:ss past an hour, for the in-call timer and the timeline. */
export function formatCallDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
