import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatText, parseInline, plainText, type Block, type Inline } from '../src/lib/format-text.ts';

/** Every piece of text the parser returns, in order (what React would put in text nodes). */
function leaves(blocks: Block[]): string[] {
  const out: string[] = [];
  const walk = (parts: Inline[]): void => {
    for (const p of parts) {
      if (p.kind === 'bold' || p.kind === 'italic') walk(p.children);
      else out.push(p.text);
    }
  };
  for (const b of blocks) {
    if (b.kind === 'code-block') out.push(b.text);
    else walk(b.children);
  }
  return out;
}

describe('formatText', () => {
  it('reads bold, both italics, inline code and links', () => {
    expect(parseInline('a **b** _c_ *d* `e*f*` see https://x.io/a_b_c')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'bold', children: [{ kind: 'text', text: 'b' }] },
      { kind: 'text', text: ' ' },
      { kind: 'italic', children: [{ kind: 'text', text: 'c' }] },
      { kind: 'text', text: ' ' },
      { kind: 'italic', children: [{ kind: 'text', text: 'd' }] },
      { kind: 'text', text: ' ' },
      { kind: 'code', text: 'e*f*' },
      { kind: 'text', text: ' see ' },
      { kind: 'link', text: 'https://x.io/a_b_c', href: 'https://x.io/a_b_c' },
    ]);
  });

  it('nests italic in bold, and a link in bold', () => {
    expect(parseInline('**go _now_ to www.a.io**')).toEqual([
      {
        kind: 'bold',
        children: [
          { kind: 'text', text: 'go ' },
          { kind: 'italic', children: [{ kind: 'text', text: 'now' }] },
          { kind: 'text', text: ' to ' },
          { kind: 'link', text: 'www.a.io', href: 'https://www.a.io/' },
        ],
      },
    ]);
  });

  it('leaves snake_case, lone and unterminated markers as typed', () => {
    for (const text of ['snake_case_name', 'window.__pwned=1 x.__y', '2 * 3 * 4', '**not closed', 'a ** b ** c', '_open', '`tick', '* list item', '**', '``']) {
      expect(parseInline(text)).toEqual([{ kind: 'text', text }]);
    }
  });

  it('splits fenced code blocks and quotes from paragraphs', () => {
    expect(formatText('before\n```js\nconst a = **1**;\n<b>x</b>\n```\n> quoted _it_\n>more\nafter')).toEqual([
      { kind: 'paragraph', children: [{ kind: 'text', text: 'before' }] },
      { kind: 'code-block', text: 'const a = **1**;\n<b>x</b>' },
      { kind: 'quote', children: [{ kind: 'text', text: 'quoted ' }, { kind: 'italic', children: [{ kind: 'text', text: 'it' }] }, { kind: 'text', text: '\nmore' }] },
      { kind: 'paragraph', children: [{ kind: 'text', text: 'after' }] },
    ]);
  });

  it('keeps an unterminated fence as text', () => {
    expect(formatText('```\ncode\nno end')).toEqual([{ kind: 'paragraph', children: [{ kind: 'text', text: '```\ncode\nno end' }] }]);
  });

  it('returns markup as text: no element can come of it', () => {
    const hostile = '<script>alert(1)</script> **<img src=x onerror="alert(1)">** `<svg onload=alert(1)>` javascript:alert(1)';
    const blocks = formatText(hostile);
    expect(leaves(blocks).join('')).toBe('<script>alert(1)</script> <img src=x onerror="alert(1)"> <svg onload=alert(1)> javascript:alert(1)');
    expect(JSON.stringify(blocks)).not.toContain('"link"');
  });

  it('gives text without markers back unchanged, as one paragraph (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '<', '>', '"', '&', '/', 'é', '会') }), (text) => {
        fc.pre(!text.split('\n').some((l) => l.startsWith('>')));
        expect(formatText(text)).toEqual([{ kind: 'paragraph', children: text ? [{ kind: 'text', text }] : [] }]);
      }),
    );
  });

  it('only ever drops marker characters, and only makes http(s) links (property)', () => {
    const unit = fc.constantFrom('a', ' ', '\n', '*', '_', '`', '>', '<', 'h', 't', 'p', 's', ':', '/', '.', 'w', '```\n');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 80 }), (text) => {
        const blocks = formatText(text);
        const kept = plainText(text);
        // What is kept, in order, is the text with some markers taken out.
        let at = 0;
        for (const c of kept) {
          const found = text.indexOf(c, at);
          expect(found).toBeGreaterThanOrEqual(0);
          const skipped = text.slice(at, found);
          expect(skipped.replace(/[*_`>\n ]/g, '')).toBe('');
          at = found + 1;
        }
        const json = JSON.stringify(blocks);
        for (const m of json.matchAll(/"href":"([^"]*)"/g)) expect(m[1]).toMatch(/^https?:\/\//);
      }),
    );
  });

  it('makes mention runs of the names the message mentions, and only of those', () => {
    const mentioned = new Set(['ann_b', 'everyone']);
    expect(parseInline('hi @ann_b and @everyone, not @stranger', mentioned)).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', text: '@ann_b', name: 'ann_b' },
      { kind: 'text', text: ' and ' },
      { kind: 'mention', text: '@everyone', name: 'everyone' },
      { kind: 'text', text: ', not @stranger' },
    ]);
    // Without resolved names, nothing is a mention.
    expect(parseInline('hi @ann_b')).toEqual([{ kind: 'text', text: 'hi @ann_b' }]);
  });

  it("reads a mention as the server does: at the start of a word, a sentence's dot not part of it, never in code or links", () => {
    const mentioned = new Set(['bob', 'ann_b']);
    expect(parseInline('thanks @bob.', mentioned)).toEqual([
      { kind: 'text', text: 'thanks ' },
      { kind: 'mention', text: '@bob', name: 'bob' },
      { kind: 'text', text: '.' },
    ]);
    for (const text of ['mail x@bob', 'a.@bob', '@@bob', '`@bob`', 'https://x.io/@bob', '@bobby', '@bo']) {
      expect(JSON.stringify(parseInline(text, mentioned))).not.toContain('"mention"');
    }
    // Inside formatting, and its underscore is part of the name, not an italic marker.
    expect(parseInline('**ask @ann_b** _now_', mentioned)).toEqual([
      { kind: 'bold', children: [{ kind: 'text', text: 'ask ' }, { kind: 'mention', text: '@ann_b', name: 'ann_b' }] },
      { kind: 'text', text: ' ' },
      { kind: 'italic', children: [{ kind: 'text', text: 'now' }] },
    ]);
    expect(formatText('> @bob said', mentioned)).toEqual([{ kind: 'quote', children: [{ kind: 'mention', text: '@bob', name: 'bob' }, { kind: 'text', text: ' said' }] }]);
  });

  it('mention runs change no character the reader sees, and are exactly "@" and a mentioned name (property)', () => {
    const mentioned = new Set(['abc', 'everyone']);
    const unit = fc.constantFrom('@', 'abc', 'everyone', '.', ' ', '_', '*', '`', 'x', '\n');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 60 }), (text) => {
        const plain = plainText(text);
        const withMentions = formatText(text, mentioned);
        const json = JSON.stringify(withMentions);
        for (const m of json.matchAll(/"kind":"mention","text":"([^"]*)","name":"([^"]*)"/g)) {
          expect(m[1]).toBe(`@${m[2]}`);
          expect(mentioned.has(m[2]!)).toBe(true);
        }
        expect(leaves(withMentions).join('')).toBe(plain);
      }),
    );
  });

  it('stays linear on long hostile input (a quadratic parser would not finish these)', () => {
    const size = 400_000;
    const inputs = [
      '*a '.repeat(size / 3),
      '_a '.repeat(size / 3),
      '**a '.repeat(size / 4),
      '`'.repeat(size),
      '**_'.repeat(size / 3),
      '```\n'.repeat(size / 4),
      '> *'.repeat(size / 3),
      '*'.repeat(size),
      'www.a.io/*_ '.repeat(size / 12),
      '@'.repeat(size),
      '@abc'.repeat(size / 4),
      ' @abcdefghijklmnopqrstuvwxyz012345'.repeat(size / 34),
    ];
    const mentioned = new Set(['abc', 'everyone']);
    for (const input of inputs) {
      const text = plainText(input);
      expect(text.length).toBeGreaterThan(0);
      expect(formatText(input, mentioned).length).toBeGreaterThan(0);
    }
  });
});
