import { isReactionEmoji } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FREQUENT, EMOJI, searchEmoji } from '../src/lib/emoji-data.ts';

describe('emoji picker data', () => {
  it('offers only emoji the server accepts as a reaction, each once', () => {
    const refused = EMOJI.filter((e) => !isReactionEmoji(e.emoji)).map((e) => e.emoji);
    expect(refused).toEqual([]);
    expect(DEFAULT_FREQUENT.filter((e) => !isReactionEmoji(e))).toEqual([]);
    expect(new Set(EMOJI.map((e) => e.emoji)).size).toBe(EMOJI.length);
    expect(EMOJI.length).toBeGreaterThan(300);
  });

  it('finds emoji by any of their words', () => {
    expect(searchEmoji('thumbs').map((e) => e.emoji)).toEqual(['👍', '👎']);
    expect(searchEmoji('party').map((e) => e.emoji)).toContain('🎉');
    expect(searchEmoji('zzzz-nothing')).toEqual([]);
  });
});
