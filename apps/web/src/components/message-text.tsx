import { memo, type ReactNode } from 'react';
import { formatText, type Block, type Inline } from '../lib/format-text.ts';

function renderInline(parts: Inline[]): ReactNode[] {
  return parts.map((part, i) => {
    switch (part.kind) {
      case 'text':
        return part.text;
      case 'link':
        return (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
            {part.text}
          </a>
        );
      case 'code':
        return (
          <code key={i} className="inline-code">
            {part.text}
          </code>
        );
      case 'bold':
        return <strong key={i}>{renderInline(part.children)}</strong>;
      case 'italic':
        return <em key={i}>{renderInline(part.children)}</em>;
    }
  });
}

function renderBlock(block: Block, key: number): ReactNode {
  switch (block.kind) {
    case 'paragraph':
      return (
        <p key={key} className="bubble__para">
          {renderInline(block.children)}
        </p>
      );
    case 'quote':
      return (
        <blockquote key={key} className="bubble__quote">
          {renderInline(block.children)}
        </blockquote>
      );
    case 'code-block':
      return (
        <pre key={key} className="code-block">
          <code>{block.text}</code>
        </pre>
      );
  }
}

/**
 * Message text with its formatting (lib/format-text.ts) and links. Everything
 * is a React text node or an element React builds: the text is never parsed
 * as HTML, and links open in a new tab without handing it this page
 * (`noopener`) or its address (`noreferrer`). A message of one paragraph
 * (most of them) is one element, its text straight inside.
 */
export const MessageText = memo(function MessageText({ text }: { text: string }) {
  const blocks = formatText(text);
  const only = blocks.length === 1 ? blocks[0] : undefined;
  if (only?.kind === 'paragraph') return <p className="bubble__text">{renderInline(only.children)}</p>;
  return <div className="bubble__text bubble__text--blocks">{blocks.map(renderBlock)}</div>;
});
