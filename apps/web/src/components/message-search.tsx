import type { ConversationId, SearchHighlight, SearchResponse, SearchResult, Seq } from '@parley/protocol';
import { useEffect, useId, useState, type ReactNode } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useDebounced } from '../hooks/use-debounced.ts';
import { describeError } from '../lib/errors.ts';
import { conversationTitle, memberName } from '../lib/names.ts';
import { Dialog } from './dialog.tsx';
import { Icon } from './icon.tsx';

/** The server needs two characters: one would match nearly everything (and is refused). */
const MIN_CHARS = 2;

/**
 * Searches the messages of the conversations you are in (as you type,
 * debounced) and lists what it finds, best first; choosing one opens its
 * conversation at that message. Snippets come as plain text with highlight
 * ranges and are rendered as text nodes with <mark> around the ranges: a
 * message holding markup stays text.
 */
export function MessageSearchDialog({ onClose, onJump }: { onClose: () => void; onJump: (id: ConversationId, seq: Seq) => void }) {
  const { client } = useSignedIn();
  const [query, setQuery] = useState('');
  const settled = useDebounced(query.trim(), 300);
  const [page, setPage] = useState<{ for: string; results: SearchResult[]; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const inputId = useId();
  const statusId = useId();

  useEffect(() => {
    if ([...settled].length < MIN_CHARS) {
      setPage(null);
      return;
    }
    let live = true;
    setError(null);
    client.search(settled).then(
      (res: SearchResponse) => live && setPage({ for: settled, results: res.results, next: res.next_cursor }),
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [client, settled]);

  const more = (): void => {
    if (!page?.next) return;
    setLoadingMore(true);
    client
      .search(page.for, { cursor: page.next })
      .then(
        (res) => setPage((p) => (p && p.for === page.for ? { ...p, results: [...p.results, ...res.results], next: res.next_cursor } : p)),
        (err: unknown) => setError(describeError(err)),
      )
      .finally(() => setLoadingMore(false));
  };

  const typed = [...query.trim()].length;
  const status =
    error ??
    (typed > 0 && typed < MIN_CHARS
      ? 'Type at least two characters.'
      : page === null
        ? ''
        : page.results.length === 0
          ? 'No messages found.'
          : `${page.results.length}${page.next ? '+' : ''} ${page.results.length === 1 ? 'message' : 'messages'} found.`);

  return (
    <Dialog title="Search messages" onClose={onClose}>
      <div className="user-search">
        <label htmlFor={inputId} className="user-search__label">
          Words to find
        </label>
        <div className="user-search__field">
          <Icon name="search" size={18} />
          <input
            id={inputId}
            type="search"
            autoComplete="off"
            spellCheck={false}
            placeholder="Any part of a message"
            value={query}
            autoFocus
            aria-describedby={statusId}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <p id={statusId} className="user-search__status" role="status" aria-live="polite">
          {status}
        </p>
        {page && page.results.length > 0 && (
          <ul className="message-results" aria-label="Message results">
            {page.results.map((result) => (
              <li key={result.message_id}>
                <ResultButton result={result} onPick={() => onJump(result.conversation_id, result.seq)} />
              </li>
            ))}
          </ul>
        )}
        {page?.next && (
          <button type="button" className="button" onClick={more} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'More results'}
          </button>
        )}
      </div>
    </Dialog>
  );
}

function ResultButton({ result, onPick }: { result: SearchResult; onPick: () => void }) {
  const { client, me } = useSignedIn();
  const conversation = client.conversation(result.conversation_id);
  const where = conversation ? conversationTitle(conversation, me.id) : 'A conversation';
  const who = memberName(conversation, me.id, result.sender_id, (id) => client.userById(id));
  const when = new Date(result.created_at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return (
    <button type="button" className="message-result" onClick={onPick}>
      <span className="message-result__where">
        {where} · {who} · <time dateTime={result.created_at}>{when}</time>
      </span>
      <span className="message-result__snippet">
        <Snippet text={result.snippet.text} highlights={result.snippet.highlights} before={result.snippet.truncated_start} after={result.snippet.truncated_end} />
      </span>
    </button>
  );
}

/** Text with the highlighted ranges in <mark>: React text nodes only, never innerHTML. */
export function Snippet({ text, highlights, before, after }: { text: string; highlights: SearchHighlight[]; before: boolean; after: boolean }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [i, h] of [...highlights].sort((a, b) => a.start - b.start).entries()) {
    if (h.start < at || h.end > text.length) continue;
    if (h.start > at) parts.push(text.slice(at, h.start));
    parts.push(<mark key={i}>{text.slice(h.start, h.end)}</mark>);
    at = h.end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return (
    <>
      {before && '… '}
      {parts}
      {after && ' …'}
    </>
  );
}
