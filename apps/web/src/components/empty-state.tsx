import { Logo } from './logo.tsx';

/** What the main pane shows before a conversation is chosen. */
export function EmptyState({ onNewChat, hasConversations }: { onNewChat: () => void; hasConversations: boolean }) {
  return (
    <div className="empty">
      <Logo size={56} />
      <h2>{hasConversations ? 'Pick a conversation' : 'Welcome to Parley'}</h2>
      <p>{hasConversations ? 'Choose one from the list, or start a new one.' : 'Start a conversation by finding someone to talk to.'}</p>
      <button type="button" className="button button--primary" onClick={onNewChat}>
        New chat
      </button>
    </div>
  );
}
