import { useEffect, useRef } from 'react';
import type { MentionAutocomplete } from '../hooks/use-mention-autocomplete.ts';
import { Avatar } from './avatar.tsx';

/**
 * The open `@` autocomplete's list (hooks/use-mention-autocomplete.ts), shown
 * above its field: each person's display name and `@username`. A click picks;
 * pressing the mouse does not take focus from the field, so typing goes on.
 */
export function MentionList({ list }: { list: NonNullable<MentionAutocomplete['list']> }) {
  const element = useRef<HTMLUListElement>(null);
  // The highlighted person stays in view when arrows move past the list's height.
  useEffect(() => {
    element.current?.children[list.active]?.scrollIntoView({ block: 'nearest' });
  }, [list.active]);
  return (
    <ul ref={element} className="mention-list" id={list.id} role="listbox" aria-label="People to mention">
      {list.candidates.map((c, i) => (
        <li
          key={c.username}
          id={list.optionId(i)}
          role="option"
          aria-selected={i === list.active}
          className={`mention-list__option${i === list.active ? ' mention-list__option--active' : ''}`}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => list.pick(c)}
        >
          {c.id ? <Avatar id={c.id} name={c.name} size="sm" /> : <span className="mention-list__everyone" aria-hidden="true">@</span>}
          <span className="mention-list__name">{c.name}</span>
          <span className="mention-list__handle">@{c.username}</span>
        </li>
      ))}
    </ul>
  );
}
