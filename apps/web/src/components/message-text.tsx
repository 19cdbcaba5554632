import { memo, type ReactNode } from 'react';
import { formatText, type Block, type Inline } from '../lib/format-text.ts';
import { EVERYONE } from '../lib/mentions.ts';

/** `self`: the reader's username, whose mentions (and `@everyone`) stand out more than others'. */
function renderInline(parts: Inline[], self: string | undefined): ReactNode[] {
  return parts.map((part, i) => {
    switch (part.kind) {
      case 'text':
        return part.text;
      case 'mention':
        return (
          <span key={i} className={`mention${part.name === self || part.name === EVERYONE ? ' mention--me' : ''}`} data-mention={part.name}>
            {part.text}
          </span>
        );
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
        return <strong key={i}>{renderInline(part.children, self)}</strong>;
      case 'italic':
        return <em key={i}>{renderInline(part.children, self)}</em>;
    }
  });
}

function renderBlock(block: Block, key: number, self: string | undefined): ReactNode {
  switch (block.kind) {
    case 'paragraph':
      return (
        <p key={key} className="bubble__para">
          {renderInline(block.children, self)}
        </p>
      );
    case 'quote':
      return (
        <blockquote key={key} className="bubble__quote">
          {renderInline(block.children, self)}
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
 * (most of them) is one element, its text straight inside. `mentioned` are
 * the names its `mentions` resolve to (lib/mentions.ts): only those `@name`s
 * are marked, the reader's own (`self`) more strongly.
 */
export const MessageText = memo(function MessageText({ text, mentioned, self }: { text: string; mentioned?: ReadonlySet<string>; self?: string }) {
  const blocks = formatText(text, mentioned);
  const only = blocks.length === 1 ? blocks[0] : undefined;
  if (only?.kind === 'paragraph') return <p className="bubble__text">{renderInline(only.children, self)}</p>;
  return <div className="bubble__text bubble__text--blocks">{blocks.map((block, i) => renderBlock(block, i, self))}</div>;
});
