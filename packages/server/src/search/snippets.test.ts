import { describe, expect, it } from 'vitest';
import { fold, occurrences, snippetOf, SNIPPET_LENGTH } from './snippets.ts';

const marked = (s: { text: string; highlights: { start: number; end: number }[] }) =>
  s.highlights.map((h) => s.text.slice(h.start, h.end));

describe('search snippets', () => {
  it('highlights every match, case-insensitively, as ranges of plain text', () => {
    const s = snippetOf('Reconfigure the CONFIG, then config again', 'config');
    expect(s).toMatchObject({ text: 'Reconfigure the CONFIG, then config again', truncated_start: false, truncated_end: false });
    expect(marked(s)).toEqual(['config', 'CONFIG', 'config']);
  });

  it('finds CJK text and keeps markup as text', () => {
    expect(marked(snippetOf('明日の会議は10時から。会議室A', '会議'))).toEqual(['会議', '会議']);
    const html = snippetOf('<img src=x onerror=alert(1)> config', 'config');
    expect(html.text).toBe('<img src=x onerror=alert(1)> config');
    expect(marked(html)).toEqual(['config']);
  });

  it('keeps offsets aligned where lower-casing would change a length', () => {
    expect(fold('İstanbul')).toHaveLength('İstanbul'.length);
    const s = snippetOf('İİİ config', 'CONFIG');
    expect(marked(s)).toEqual(['config']);
  });

  it('cuts a long message around the first match without splitting a surrogate pair', () => {
    const text = '😀'.repeat(300) + ' the config line ' + 'x'.repeat(1000);
    const s = snippetOf(text, 'config');
    expect(s.text.length).toBeLessThanOrEqual(SNIPPET_LENGTH);
    expect(s).toMatchObject({ truncated_start: true, truncated_end: true });
    expect(marked(s)).toEqual(['config']);
    expect(s.text).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });

  it('returns the start of the text with no highlight when it cannot place the match', () => {
    const s = snippetOf('a'.repeat(1000), 'zz');
    expect(s).toMatchObject({ highlights: [], truncated_start: false, truncated_end: true });
    expect(occurrences('aaaa', 'aa')).toEqual([{ start: 0, end: 2 }, { start: 2, end: 4 }]);
  });
});
