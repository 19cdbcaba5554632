import { MAX_TEXT_LENGTH, type ConversationId, type Seq } from '@parley/protocol';
import { useEffect, useId, useLayoutEffect, useRef, useState, type ClipboardEvent, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import type { Upload, UploadState } from '@parley/sdk';
import { formatBytes } from '../lib/attachments.ts';
import { useSignedIn } from '../hooks/use-client.ts';
import { loadDraft, saveDraft } from '../lib/drafts.ts';
import { describeError } from '../lib/errors.ts';
import type { ReplyDraft } from '../hooks/use-message-context.ts';
import { useMentionAutocomplete } from '../hooks/use-mention-autocomplete.ts';
import { Icon } from './icon.tsx';
import { MentionList } from './mention-autocomplete.tsx';

/** After this long without a keystroke the user has stopped typing. */
const TYPING_IDLE_MS = 4000;
const MAX_ROWS_PX = 160;

/** A file being attached to the next message: uploading (with progress) until the server has every byte. */
interface PendingUpload {
  key: string;
  name: string;
  size: number;
  sent: number;
  state: UploadState;
  id: string | null;
  error: string | null;
  upload: Upload;
}

/**
 * Writes and sends messages. Enter sends, Shift+Enter starts a new line.
 * Sending returns at once: the message shows with a clock until the server
 * has it, and survives going offline. Keystrokes tell the others "typing"
 * (the SDK sends at most one signal per few seconds); stopping, sending or
 * leaving the field tells them it stopped. What is written and not sent is
 * kept as the conversation's draft (lib/drafts.ts) and survives a reload.
 */
export function Composer({
  conversationId,
  reply = null,
  onCancelReply,
  thread,
}: {
  conversationId: ConversationId;
  /** The message this one will reply to (shown above the field, with a cancel). */
  reply?: ReplyDraft | null;
  onCancelReply?: () => void;
  /** Sends into the thread of this root (the thread panel's composer), with a draft of its own. */
  thread?: Seq;
}) {
  const { client, me } = useSignedIn();
  const draftKey = thread === undefined ? conversationId : `${conversationId}#thread-${thread}`;
  const [text, setText] = useState(() => loadDraft(me.id, draftKey));
  const [error, setError] = useState<string | null>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const idle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const errorId = useId();
  const [uploads, setUploads] = useState<PendingUpload[]>([]);
  const picker = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const update = (key: string, change: Partial<PendingUpload>): void =>
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));

  /** Attach files (picker, drop or paste): each starts uploading at once; sending waits for them. */
  const addFiles = (files: FileList | File[]): void => {
    for (const file of Array.from(files)) {
      const key = crypto.randomUUID();
      // 1 MiB requests: on a slow link the bar moves at least every MiB.
      const upload = client.upload(conversationId, file, { name: file.name || 'pasted file', chunkSize: 1024 * 1024 });
      upload.on('progress', ({ sent }) => update(key, { sent }));
      upload.on('state', (state) => update(key, { state }));
      upload.start().then(
        (id) => update(key, { id, state: 'done' }),
        (err: unknown) => update(key, { error: describeError(err), state: 'failed' }),
      );
      setUploads((list) => [...list, { key, name: file.name || 'pasted file', size: file.size, sent: 0, state: 'uploading', id: null, error: null, upload }]);
    }
  };
  const removeUpload = (item: PendingUpload): void => {
    void item.upload.cancel();
    setUploads((list) => list.filter((u) => u.key !== item.key));
  };
  /** What goes with the next message: every file not failed, finished or still uploading. */
  const attached = uploads.filter((u) => u.state !== 'failed' && u.state !== 'cancelled');

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

  // Choosing Reply on a message puts the cursor here.
  useEffect(() => {
    if (reply) field.current?.focus();
  }, [reply]);

  // Grow with the text, up to a limit.
  useLayoutEffect(() => {
    const el = field.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_ROWS_PX)}px`;
  }, [text]);

  const change = (value: string): void => {
    setText(value);
    saveDraft(me.id, draftKey, value);
    setError(null);
    if (value.trim() === '') {
      stopTyping();
      return;
    }
    client.setTyping(conversationId, true);
    clearTimeout(idle.current);
    idle.current = setTimeout(() => client.setTyping(conversationId, false), TYPING_IDLE_MS);
  };

  /**
   * Sends at once, even while files upload: the message waits in the outbox
   * for its files (kept with it in IndexedDB, so a reload resumes them) and
   * goes when the last one is in.
   */
  const send = (): void => {
    // A message needs text: files alone go with their names.
    const body = text.trim() || attached.map((u) => u.name).join(', ');
    if (!body) return;
    try {
      const replyTo = reply?.seq ?? thread;
      client.send(conversationId, body, { uploads: attached.map((u) => u.upload), ...(replyTo !== undefined ? { replyTo, thread: thread !== undefined } : {}) });
    } catch (err) {
      setError(describeError(err));
      return;
    }
    setUploads([]);
    onCancelReply?.();
    clearTimeout(idle.current);
    setText('');
    saveDraft(me.id, draftKey, '');
    field.current?.focus();
  };

  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    send();
  };

  const mention = useMentionAutocomplete(conversationId, field, text, change);

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (mention.onKeyDown(event)) return;
    // Not while an input method is composing a character: its Enter confirms the character.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === 'Escape' && reply) {
      event.preventDefault();
      onCancelReply?.();
    }
  };

  const onDragOver = (event: DragEvent): void => {
    if (!event.dataTransfer.types.includes('Files')) return;
    event.preventDefault();
    setDragging(true);
  };
  const onDrop = (event: DragEvent): void => {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length > 0) addFiles(event.dataTransfer.files);
  };
  const onPaste = (event: ClipboardEvent): void => {
    if (event.clipboardData.files.length === 0) return;
    event.preventDefault();
    addFiles(event.clipboardData.files);
  };

  return (
    <form
      className={`composer${dragging ? ' composer--dragging' : ''}`}
      onSubmit={onSubmit}
      onDragOver={onDragOver}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      {uploads.length > 0 && (
        <ul className="composer__uploads" aria-label="Attachments">
          {uploads.map((u) => (
            <li key={u.key} className="upload-row" data-state={u.state}>
              <span className="upload-row__name">{u.name}</span>
              <span className="upload-row__size">{formatBytes(u.size)}</span>
              {u.error ? (
                <span className="upload-row__error" role="alert">{u.error}</span>
              ) : (
                <progress className="upload-row__progress" max={u.size || 1} value={u.sent} aria-label={`Uploading ${u.name}`} />
              )}
              <button type="button" className="link-button" aria-label={`Remove ${u.name}`} onClick={() => removeUpload(u)}>
                <Icon name="close" />
              </button>
            </li>
          ))}
        </ul>
      )}
      {reply && (
        <div className="composer__reply">
          <p className="composer__reply-text">
            Replying to <strong>{reply.name}</strong>: <span className="composer__reply-snippet">{reply.text}</span>
          </p>
          <button type="button" className="icon-button" aria-label="Cancel reply" onClick={onCancelReply}>
            <Icon name="close" size={18} />
          </button>
        </div>
      )}
      {error && (
        <p className="composer__error" id={errorId} role="alert">
          {error}
        </p>
      )}
      {mention.list && <MentionList list={mention.list} />}
      <div className="composer__row">
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          tabIndex={-1}
          aria-label="Files to attach"
          data-testid="attach-input"
          onChange={(e) => {
            if (e.target.files) addFiles(e.target.files);
            e.target.value = '';
          }}
        />
        <button type="button" className="composer__attach" aria-label="Attach files" onClick={() => picker.current?.click()}>
          <Icon name="attach" />
        </button>
        <textarea
          ref={field}
          className="composer__field"
          rows={1}
          value={text}
          maxLength={MAX_TEXT_LENGTH}
          placeholder={thread === undefined ? 'Write a message…' : 'Reply…'}
          aria-label={thread === undefined ? 'Message' : 'Reply in thread'}
          aria-describedby={error ? errorId : undefined}
          {...mention.fieldProps}
          enterKeyHint="send"
          onChange={(e) => change(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={stopTyping}
          onPaste={onPaste}
        />
        <button type="submit" className="composer__send" aria-label="Send" disabled={text.trim() === '' && attached.length === 0}>
          <Icon name="send" />
        </button>
      </div>
    </form>
  );
}
