import type { ConversationId } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useRef, type KeyboardEvent } from 'react';
import { ConversationListItem } from './conversation-list-item.tsx';

export interface ConversationListProps {
  conversations: ConversationSnapshot[];
  selectedId: ConversationId | null;
  onSelect: (id: ConversationId) => void;
  loading?: boolean;
}

/** The conversations, newest activity first. Tab reaches the list; the arrow keys, Home and End move within it. */
export function ConversationList({ conversations, selectedId, onSelect, loading }: ConversationListProps) {
  const listRef = useRef<HTMLUListElement>(null);

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>): void => {
    const buttons = [...(listRef.current?.querySelectorAll<HTMLButtonElement>('button.conversation') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const target =
      event.key === 'ArrowDown' ? buttons[Math.min(at + 1, buttons.length - 1)]
      : event.key === 'ArrowUp' ? buttons[Math.max(at - 1, 0)]
      : event.key === 'Home' ? buttons[0]
      : event.key === 'End' ? buttons[buttons.length - 1]
      : undefined;
    if (!target) return;
    event.preventDefault();
    target.focus();
  };

  if (conversations.length === 0) {
    return <p className="conversation-list__empty">{loading ? 'Loading conversations…' : 'No conversations yet. Start one with New chat.'}</p>;
  }
  return (
    <ul className="conversation-list" ref={listRef} onKeyDown={onKeyDown} aria-label="Conversation list">
      {conversations.map((c) => (
        <li key={c.id}>
          <ConversationListItem conversation={c} selected={c.id === selectedId} onSelect={onSelect} />
        </li>
      ))}
    </ul>
  );
}
