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
}

/**
 * Finds people by a part of their username or display name as you type
 * (debounced; the server matches anywhere from three characters), and lists
 * them as buttons. Enter in the field picks the result when there is exactly
 * one for what is typed now.
 */
export function UserSearch({ label, onPick, exclude, actionLabel, autoFocus, disabled }: UserSearchProps) {
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
      {shown.length > 0 && (
        <ul className="user-list" aria-label="Search results">
          {shown.map((user) => (
            <li key={user.id}>
              <button type="button" className="user-row" onClick={() => pick(user)} disabled={disabled} aria-label={`${actionLabel} ${nameOf(user)} (@${user.username})`}>
                <Avatar id={user.id} name={nameOf(user)} size="sm" />
                <span className="user-row__text">
                  <span className="user-row__name">{nameOf(user)}</span>
                  <span className="user-row__handle">@{user.username}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
