import type { ConversationId } from '@parley/protocol';
import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { useConversation } from './use-conversations.ts';
import { useSignedIn } from './use-client.ts';
import { mentionCandidates, mentionQueryAt, type MentionCandidate } from '../lib/mentions.ts';

/** What a text field gets from the autocomplete: the combobox attributes and the listeners it needs. */
export interface MentionFieldProps {
  'aria-autocomplete': 'list';
  'aria-expanded': boolean;
  'aria-controls': string | undefined;
  'aria-activedescendant': string | undefined;
  onSelect: () => void;
  onInput: () => void;
}

export interface MentionAutocomplete {
  /** Spread on the text field. */
  fieldProps: MentionFieldProps;
  /** Call first in the field's keydown: true when the key moved or picked in the open list (the field must ignore it). */
  onKeyDown: (event: KeyboardEvent<HTMLTextAreaElement>) => boolean;
  /** The open list's people, its highlighted one and ids (for `MentionList`); null when it is closed. */
  list: { id: string; optionId: (index: number) => string; candidates: MentionCandidate[]; active: number; pick: (c: MentionCandidate) => void } | null;
}

/**
 * `@` autocomplete for a text field of a conversation (the composer, the
 * message editor). Typing `@` and letters at the start of a word opens the
 * members whose names start with them (lib/mentions.ts); ArrowUp / ArrowDown
 * move, Enter or Tab pick, Escape closes until another `@`, a click picks;
 * leaving the field closes it.
 * Picking puts `@username ` in place of what was typed, caret after it. The
 * field keeps its textbox role (a multi-line field, found by that name) with
 * the combobox's `aria-expanded`, `aria-controls` and
 * `aria-activedescendant`; focus never leaves it.
 */
export function useMentionAutocomplete(
  conversationId: ConversationId,
  field: RefObject<HTMLTextAreaElement | null>,
  text: string,
  onText: (value: string) => void,
): MentionAutocomplete {
  const { client, me } = useSignedIn();
  const conversation = useConversation(client, conversationId);
  const [caret, setCaret] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  // The `@` whose list Escape closed: it stays closed until the caret is in another one.
  const [dismissed, setDismissed] = useState<number | null>(null);
  const pendingCaret = useRef<number | null>(null);
  const id = useId();

  const at = caret === null || caret > text.length ? null : mentionQueryAt(text, caret);
  const candidates = at && conversation && at.start !== dismissed ? mentionCandidates(conversation, me.id, at.query) : [];
  const open = at !== null && candidates.length > 0;
  const current = Math.min(active, candidates.length - 1);

  // After a pick, the caret goes after the inserted name once the field holds it.
  useLayoutEffect(() => {
    const el = field.current;
    if (pendingCaret.current === null || !el) return;
    el.setSelectionRange(pendingCaret.current, pendingCaret.current);
    setCaret(pendingCaret.current);
    pendingCaret.current = null;
  }, [text, field]);

  // Leaving the field closes the list (a click on an option keeps focus in it, see MentionList).
  useEffect(() => {
    const el = field.current;
    if (!el) return;
    const close = (): void => setCaret(null);
    el.addEventListener('blur', close);
    return () => el.removeEventListener('blur', close);
  }, [field]);

  const readCaret = (): void => {
    const el = field.current;
    if (!el) return;
    const next = el.selectionStart === el.selectionEnd ? el.selectionStart : null;
    if (next !== caret) setActive(0);
    setCaret(next);
    if (dismissed !== null && (next === null || mentionQueryAt(el.value, next)?.start !== dismissed)) setDismissed(null);
  };

  const pick = (candidate: MentionCandidate): void => {
    if (!at || caret === null) return;
    const inserted = `@${candidate.username} `;
    pendingCaret.current = at.start + inserted.length;
    onText(text.slice(0, at.start) + inserted + text.slice(caret).replace(/^ /, ''));
    field.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (!open || event.nativeEvent.isComposing) return false;
    switch (event.key) {
      case 'ArrowDown':
        setActive((current + 1) % candidates.length);
        break;
      case 'ArrowUp':
        setActive((current - 1 + candidates.length) % candidates.length);
        break;
      case 'Enter':
      case 'Tab':
        if (event.shiftKey) return false;
        pick(candidates[current]!);
        break;
      case 'Escape':
        setDismissed(at.start);
        break;
      default:
        return false;
    }
    event.preventDefault();
    return true;
  };

  const optionId = (index: number): string => `${id}-option-${index}`;
  return {
    fieldProps: {
      'aria-autocomplete': 'list',
      'aria-expanded': open,
      'aria-controls': open ? `${id}-list` : undefined,
      'aria-activedescendant': open ? optionId(current) : undefined,
      // Typing moves the caret (input), and so do arrows and clicks (select).
      onSelect: readCaret,
      onInput: readCaret,
    },
    onKeyDown,
    list: open ? { id: `${id}-list`, optionId, candidates, active: current, pick } : null,
  };
}
