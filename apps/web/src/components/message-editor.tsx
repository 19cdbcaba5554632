import { MAX_TEXT_LENGTH, type MessageView } from '@parley/protocol';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useMentionAutocomplete } from '../hooks/use-mention-autocomplete.ts';
import { useMessageContext } from '../hooks/use-message-context.ts';
import { describeError } from '../lib/errors.ts';
import { MentionList } from './mention-autocomplete.tsx';

const MAX_HEIGHT_PX = 200;

/**
 * Edits one of the reader's messages in place: Enter saves, Shift+Enter is a
 * new line, Escape cancels. The edit shows at once (the SDK's optimistic
 * update) and is rolled back, with a word why, if the server refuses it.
 */
export function MessageEditor({ entry, onDone }: { entry: MessageView; onDone: (from: HTMLElement | null) => void }) {
  const { client } = useSignedIn();
  const context = useMessageContext();
  const original = entry.message.type === 'text' ? entry.message.text : '';
  const [text, setText] = useState(original);
  const field = useRef<HTMLTextAreaElement>(null);
  const mention = useMentionAutocomplete(entry.conversation_id, field, text, setText);

  // After the action sheet has handed focus back to its button (a passive effect, like this one).
  useEffect(() => {
    const el = field.current;
    el?.focus();
    el?.setSelectionRange(el.value.length, el.value.length);
  }, []);
  useLayoutEffect(() => {
    const el = field.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
  }, [text]);

  const save = (): void => {
    const next = text.trim();
    if (next === '') return context.notify('A message needs text. To remove it, delete it instead.');
    onDone(field.current);
    if (next === original) return;
    client.editMessage(entry.conversation_id, entry.seq, next).catch((err: unknown) => context.notify(`Not edited. ${describeError(err)}`));
  };

  return (
    <div className="message-editor">
      {mention.list && <MentionList list={mention.list} />}
      <textarea
        ref={field}
        className="message-editor__field"
        value={text}
        maxLength={MAX_TEXT_LENGTH}
        aria-label="Edit message"
        aria-describedby={`edit-hint-${entry.seq}`}
        {...mention.fieldProps}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (mention.onKeyDown(e)) return;
          if (e.key === 'Escape') {
            e.preventDefault();
            onDone(field.current);
          } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            save();
          }
        }}
      />
      <p className="message-editor__hint" id={`edit-hint-${entry.seq}`}>
        Enter to save, Escape to cancel ·{' '}
        <button type="button" className="link-button" onClick={() => onDone(field.current)}>
          Cancel
        </button>{' '}
        <button type="button" className="link-button" onClick={save}>
          Save
        </button>
      </p>
    </div>
  );
}
