/**
 * Which text Parley stores. Plain functions, no schemas: the server checks
 * every string of every frame and body with them at the edge, and a client may
 * check before sending.
 *
 * - Everywhere: no NUL (PostgreSQL text cannot hold it) and no unpaired UTF-16
 *   surrogate (it has no UTF-8 form: stored, it would turn into U+FFFD or fail).
 * - Names (display names, group titles) are shown as someone's identity: no
 *   control or format characters (categories Cc, Cf: zero-width joiners,
 *   bidirectional overrides, …; only a joiner inside an emoji sequence is
 *   kept) and no line or paragraph separators; they are stored
 *   NFC-normalised and trimmed. Look-alikes from other scripts and names equal
 *   to someone else's are allowed: clients show `@username` beside a name
 *   wherever identity matters.
 */

// Without the `u` flag a regular expression sees UTF-16 code units, so it can
// find a high surrogate with no low one after it, or a low one with no high before.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NAME_FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
// The one format character a name keeps: the zero-width joiner inside an emoji
// sequence (👩‍💻 is 👩 ZWJ 💻), where it joins pictographs and hides nothing.
const EMOJI_JOINER = /(?<=\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic})/gu;

/** True when `text` can be stored as it is: no NUL, no unpaired surrogate. */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/**
 * The path of the first string (or object key) in `value` that is not
 * storable text, e.g. `message.text`; null when every string is fine.
 */
export function findUnstorableText(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path || 'value';
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const bad = findUnstorableText(item, path ? `${path}.${i}` : String(i));
      if (bad !== null) return bad;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (!isStorableText(key)) return path || 'value';
    const bad = findUnstorableText(item, at);
    if (bad !== null) return bad;
  }
  return null;
}

/**
 * A display name or group title as stored (NFC, trimmed), or why it is
 * refused: `'forbidden'` for control, format or separator characters (or
 * unstorable text), `'empty'` when nothing is left after trimming.
 */
export function normalizeName(name: string): { ok: true; name: string } | { ok: false; reason: 'forbidden' | 'empty' } {
  if (!isStorableText(name) || NAME_FORBIDDEN.test(name.replace(EMOJI_JOINER, ''))) return { ok: false, reason: 'forbidden' };
  const normalized = name.normalize('NFC').trim();
  if (normalized.length === 0) return { ok: false, reason: 'empty' };
  return { ok: true, name: normalized };
}
