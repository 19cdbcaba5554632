import type { MessageView } from '@parley/protocol';
import type { OutboxEntry } from '@parley/sdk';
import { describe, expect, it } from 'vitest';
import { linkify } from '../src/lib/linkify.ts';
import { buildRows } from '../src/lib/rows.ts';

describe('linkify', () => {
  it('turns http(s) and www. addresses into links and leaves the rest as text', () => {
    expect(linkify('see https://example.com/a?b=1 and www.parley.dev.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'www.parley.dev', href: 'https://www.parley.dev/' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('never links other schemes', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'mailto:a@b.c', 'file:///etc/passwd', 'vbscript:msgbox']) {
      expect(linkify(text)).toEqual([{ kind: 'text', text }]);
    }
  });

  it('keeps closing punctuation and unbalanced brackets out of the link', () => {
    expect(linkify('(see https://en.wikipedia.org/wiki/Foo_(bar)), ok?')).toEqual([
      { kind: 'text', text: '(see ' },
      { kind: 'link', text: 'https://en.wikipedia.org/wiki/Foo_(bar)', href: 'https://en.wikipedia.org/wiki/Foo_(bar)' },
      { kind: 'text', text: '), ok?' },
    ]);
  });

  it('gives back the text unchanged when put together', () => {
    const text = 'a https://x.io/1, b http://y.io/(2) c www.z.io! <img src=x>';
    expect(linkify(text).map((p) => p.text).join('')).toBe(text);
  });
});

const ME = 'me';
function entry(seq: number, sender: string, createdAt: string, text = `m${seq}`): MessageView {
  return {
    conversation_id: 'c',
    seq,
    message_id: `id${seq}`,
    sender_id: sender,
    message: { type: 'text', text, client_msg_id: `cm${seq}`, attachments: [] },
    created_at: createdAt,
  };
}

describe('buildRows', () => {
  const now = new Date('2030-05-10T12:00:00');

  it('puts a day heading before each new day and groups one sender\'s messages within five minutes', () => {
    const rows = buildRows(
      [
        entry(1, 'bob', new Date('2030-05-09T09:00:00').toISOString()),
        entry(2, 'bob', new Date('2030-05-09T09:02:00').toISOString()),
        entry(3, 'bob', new Date('2030-05-09T09:20:00').toISOString()),
        entry(4, ME, new Date('2030-05-10T08:00:00').toISOString()),
      ],
      [],
      ME,
      now,
    );
    expect(rows.map((r) => (r.kind === 'day' ? r.label : r.kind === 'entry' ? `${r.entry.seq}${r.firstOfGroup ? '<' : ''}${r.lastOfGroup ? '>' : ''}` : 'p'))).toEqual([
      'Yesterday',
      '1<',
      '2>',
      '3<>',
      'Today',
      '4<>',
    ]);
  });

  it('keeps a message\'s key from the outbox to the log, and never shows it twice', () => {
    const pending: OutboxEntry = {
      client_msg_id: 'cm2',
      conversation_id: 'c',
      user_id: ME,
      text: 'm2',
      sent_at: new Date('2030-05-10T11:00:00').toISOString(),
      order: 1,
      status: 'pending',
    };
    const before = buildRows([entry(1, 'bob', new Date('2030-05-10T10:59:00').toISOString())], [pending], ME, now);
    const after = buildRows(
      [entry(1, 'bob', new Date('2030-05-10T10:59:00').toISOString()), entry(2, ME, new Date('2030-05-10T11:00:01').toISOString())],
      [],
      ME,
      now,
    );
    expect(before.at(-1)!.key).toBe(after.at(-1)!.key);
    expect(before.filter((r) => r.kind !== 'day')).toHaveLength(2);
  });
});
