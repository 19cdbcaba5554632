import type { ReplyQuote as Quote } from '@parley/protocol';
import { useMessageContext } from '../hooks/use-message-context.ts';
import { plainText } from '../lib/format-text.ts';

/** The start of a quoted message, markers removed, on one line. */
export function quoteSnippet(text: string | null): string {
  if (text === null) return 'message deleted';
  return plainText(text).replace(/\s+/g, ' ').trim();
}

/** The message a reply quotes, inside the reply's bubble: a click brings the original into view. */
export function ReplyQuote({ quote }: { quote: Quote }) {
  const context = useMessageContext();
  const name = context.nameOf(quote.sender_id);
  const snippet = quoteSnippet(quote.text);
  return (
    <button type="button" className="reply-quote" onClick={() => context.jumpTo(quote.seq)} aria-label={`Replying to ${name}: ${snippet}. Show that message`}>
      <span className="reply-quote__name">{name}</span>
      <span className={`reply-quote__text${quote.text === null ? ' reply-quote__text--deleted' : ''}`}>{snippet}</span>
    </button>
  );
}
