import { memo } from 'react';
import { linkify } from '../lib/linkify.ts';

/**
 * Message text with its links made clickable. Everything is a React text node
 * or an `<a>` React builds: the text is never parsed as HTML, and links open
 * in a new tab without handing it this page (`noopener`) or its address (`noreferrer`).
 */
export const MessageText = memo(function MessageText({ text }: { text: string }) {
  return (
    <p className="bubble__text">
      {linkify(text).map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        ) : (
          part.text
        ),
      )}
    </p>
  );
});
