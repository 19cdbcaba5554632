import { MAX_TEXT_LENGTH, type ConversationId } from '@parley/protocol';
import { useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { loadDraft, saveDraft } from '../lib/drafts.ts';
import { describeError } from '../lib/errors.ts';
import { Icon } from './icon.tsx';

/** After this long without a keystroke the user has stopped typing. */
const TYPING_IDLE_MS = 4000;
const MAX_ROWS_PX = 160;

/**
 * Writes and sends messages. Enter sends, Shift+Enter starts a new line.
 * Sending returns at once: the message shows with a clock until the server
 * has it, and survives going offline. Keystrokes tell the others "typing"
 * (the SDK sends at most one signal per few seconds); stopping, sending or
 * leaving the field tells them it stopped. What is written and not sent is
 * kept as the conversation's draft (lib/drafts.ts) and survives a reload.
 */
export function Composer({ conversationId }: { conversationId: ConversationId }) {
  const { client, me } = useSignedIn();
  const [text, setText] = useState(() => loadDraft(me.id, conversationId));
  const [error, setError] = useState<string | null>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const idle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const errorId = useId();

  const stopTyping = (): void => {
    clearTimeout(idle.current);
    client.setTyping(conversationId, false);
  };

  useEffect(() => {
    // On a device with a keyboard, opening a conversation puts the cursor here.
    if (window.matchMedia('(pointer: fine)').matches) field.current?.focus();
    return () => {
      clearTimeout(idle.current);
      client.setTyping(conversationId, false);
    };
  }, [client, conversationId]);

  // Grow with the text, up to a limit.
  useLayoutEffect(() => {
    const el = field.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_ROWS_PX)}px`;
  }, [text]);

  const change = (value: string): void => {
    setText(value);
    saveDraft(me.id, conversationId, value);
    setError(null);
    if (value.trim() === '') {
      stopTyping();
      return;
    }
    client.setTyping(conversationId, true);
    clearTimeout(idle.current);
    idle.current = setTimeout(() => client.setTyping(conversationId, false), TYPING_IDLE_MS);
  };

  const send = (): void => {
    const body = text.trim();
    if (!body) return;
    try {
      client.send(conversationId, body);
    } catch (err) {
      setError(describeError(err));
      return;
    }
    clearTimeout(idle.current);
    setText('');
    saveDraft(me.id, conversationId, '');
    field.current?.focus();
  };

  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    // Not while an input method is composing a character: its Enter confirms the character.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      {error && (
        <p className="composer__error" id={errorId} role="alert">
          {error}
        </p>
      )}
      <div className="composer__row">
        <textarea
          ref={field}
          className="composer__field"
          rows={1}
          value={text}
          maxLength={MAX_TEXT_LENGTH}
          placeholder="Write a message…"
          aria-label="Message"
          aria-describedby={error ? errorId : undefined}
          enterKeyHint="send"
          onChange={(e) => change(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={stopTyping}
        />
        <button type="submit" className="composer__send" aria-label="Send" disabled={text.trim() === ''}>
          <Icon name="send" />
        </button>
      </div>
    </form>
  );
}
