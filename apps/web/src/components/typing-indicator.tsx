import type { ConversationSnapshot } from '@parley/sdk';
import { useSignedIn } from '../hooks/use-client.ts';
import { useTyping } from '../hooks/use-typing.ts';
import { memberName } from '../lib/names.ts';

/** "Bob is typing…": who is typing in the open conversation. The space is kept so nothing jumps. */
export function TypingIndicator({ conversation }: { conversation: ConversationSnapshot }) {
  const { client, me } = useSignedIn();
  const typers = useTyping(client, conversation.id);
  const names = typers.map((id) => memberName(conversation, me.id, id));
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = 'Several people are typing…';
  return (
    <div className="typing" role="status" aria-live="polite" data-testid="typing-indicator">
      {text && (
        <>
          <span className="typing__dots" aria-hidden="true">
            <span />
            <span />
            <span />
          </span>
          <span>{text}</span>
        </>
      )}
    </div>
  );
}
