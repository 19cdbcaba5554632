/**
 * Limits of replies and reactions, and the emoji check. Plain values and
 * functions, no schemas: the SDK checks a reaction before sending it without
 * bundling TypeBox.
 */

/** Most distinct emoji one message may carry. */
export const MAX_REACTION_EMOJI = 20;
/** Most reactions one member may put on one message. */
export const MAX_REACTIONS_PER_MEMBER = 5;
/** Longest emoji, in UTF-8 bytes (a ZWJ family with skin tones is about 35). */
export const MAX_EMOJI_BYTES = 64;
/** Characters of a replied-to message a reply's view quotes. */
export const REPLY_EXCERPT_LENGTH = 200;

// Built at run time: the `v` flag (Unicode sets, for RGI_Emoji) is newer than the compile target.
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');

/**
 * True for a reaction Parley accepts: exactly one emoji as Unicode lists them
 * (RGI: keycaps, flags, skin tones and ZWJ sequences included), at most
 * MAX_EMOJI_BYTES bytes. Text, several emoji, or emoji with other characters are refused
 * (`invalid_emoji`).
 */
export function isReactionEmoji(value: string): boolean {
  return new TextEncoder().encode(value).length <= MAX_EMOJI_BYTES && RGI_EMOJI.test(value);
}
