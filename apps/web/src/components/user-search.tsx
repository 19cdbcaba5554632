import type { UserId, UserView } from '@parley/protocol';
import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useDebounced } from '../hooks/use-debounced.ts';
import { describeError } from '../lib/errors.ts';
import { nameOf } from '../lib/names.ts';
import { Avatar } from './avatar.tsx';
import { Icon } from './icon.tsx';

export interface UserSearchProps {
  label: string;
  /** Called with the chosen user. */
  onPick: (user: UserView) => void;
  /** Users not to offer (already chosen, already members); the signed-in user is never offered. */
  exclude?: ReadonlySet<UserId>;
  /** What the result's button says to a screen reader, e.g. "Chat with" or "Add". */
  actionLabel: string;
  autoFocus?: boolean;
  disabled?: boolean;
  /** With nothing typed, list everyone (the directory), a page at a time. */
  browse?: boolean;
}

/**
 * Finds people by a part of their username or display name as you type
 * (debounced; the server matches anywhere from three characters), and lists
 * them as buttons. Enter in the field picks the result when there is exactly
 * one for what is typed now.
 */
export function UserSearch({ label, onPick, exclude, actionLabel, autoFocus, disabled, browse }: UserSearchProps) {
  const { client, me } = useSignedIn();
  const [query, setQuery] = useState('');
  const settled = useDebounced(query.trim(), 250);
  const [results, setResults] = useState<UserView[] | null>(null);
  // The query the results answer: Enter must not pick what an earlier query found.
  const [resultsFor, setResultsFor] = useState('');
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  const statusId = useId();

  useEffect(() => {
    if (!settled) {
      setResults(null);
      return;
    }
    let live = true;
    setError(null);
    client.searchUsers(settled, 20).then(
      (users) => {
        if (!live) return;
        setResults(users);
        setResultsFor(settled);
      },
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [client, settled]);

  const shown = (results ?? []).filter((u) => u.id !== me.id && !exclude?.has(u.id));
  const pick = (user: UserView): void => {
    onPick(user);
    // Ready for the next person; the field keeps focus for typing their name.
    setQuery('');
    document.getElementById(inputId)?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key !== 'Enter' || event.nativeEvent.isComposing) return;
    event.preventDefault();
    const only = shown.length === 1 && resultsFor === query.trim() ? shown[0] : undefined;
    if (only && !disabled) pick(only);
  };

  const status =
    error ?? (results === null ? '' : shown.length === 0 ? 'No one found.' : `${shown.length} ${shown.length === 1 ? 'person' : 'people'} found.`);

  return (
    <div className="user-search">
      <label htmlFor={inputId} className="user-search__label">
        {label}
      </label>
      <div className="user-search__field">
        <Icon name="search" size={18} />
        <input
          id={inputId}
          type="search"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="Name or username"
          value={query}
          autoFocus={autoFocus}
          disabled={disabled}
          aria-describedby={statusId}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onKeyDown}
        />
      </div>
      <p id={statusId} className="user-search__status" role="status" aria-live="polite">
        {status}
      </p>
      {shown.length > 0 && <UserList label="Search results" users={shown} actionLabel={actionLabel} onPick={pick} disabled={disabled} />}
      {browse && query.trim() === '' && <Directory actionLabel={actionLabel} onPick={pick} exclude={exclude} disabled={disabled} />}
    </div>
  );
}

function UserList({ label, users, actionLabel, onPick, disabled }: { label: string; users: UserView[]; actionLabel: string; onPick: (u: UserView) => void; disabled?: boolean }) {
  return (
    <ul className="user-list" aria-label={label}>
      {users.map((user) => (
        <li key={user.id}>
          <button type="button" className="user-row" onClick={() => onPick(user)} disabled={disabled} aria-label={`${actionLabel} ${nameOf(user)} (@${user.username})`}>
            <Avatar id={user.id} name={nameOf(user)} size="sm" />
            <span className="user-row__text">
              <span className="user-row__name">{nameOf(user)}</span>
              <span className="user-row__handle">@{user.username}</span>
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

const DIRECTORY_PAGE = 30;

/** Everyone on the server, by username, with "Show more" for the next page. */
function Directory({ actionLabel, onPick, exclude, disabled }: { actionLabel: string; onPick: (u: UserView) => void; exclude?: ReadonlySet<UserId>; disabled?: boolean }) {
  const { client } = useSignedIn();
  const [pages, setPages] = useState<{ users: UserView[]; next: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = (after?: string): void => {
    setLoading(true);
    setError(null);
    client.api.directory({ after, limit: DIRECTORY_PAGE }).then(
      (page) => {
        setPages((prev) => ({ users: [...(after ? (prev?.users ?? []) : []), ...page.users], next: page.next_after }));
        setLoading(false);
      },
      (err: unknown) => {
        setError(describeError(err));
        setLoading(false);
      },
    );
  };
  // The first page, once, when the directory shows.
  useEffect(() => load(), [client]);

  const users = (pages?.users ?? []).filter((u) => !exclude?.has(u.id));
  return (
    <section className="directory" aria-label="Everyone">
      <h3 className="user-search__label">Everyone</h3>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {pages && users.length === 0 && !pages.next && <p className="user-search__status">No one else is here yet.</p>}
      {users.length > 0 && <UserList label="Everyone" users={users} actionLabel={actionLabel} onPick={onPick} disabled={disabled} />}
      {pages?.next && (
        <button type="button" className="button button--small" onClick={() => load(pages.next!)} disabled={loading}>
          {loading ? 'Loading…' : 'Show more people'}
        </button>
      )}
    </section>
  );
}
