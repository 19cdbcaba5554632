import type { MessageView, UserId } from '@parley/protocol';
import type { ConversationSnapshot, ParleyClient } from '@parley/sdk';
import { useState, type ReactNode } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useMessageContext, type MessageContext } from '../hooks/use-message-context.ts';
import { describeError } from '../lib/errors.ts';
import { canDelete, canEdit, canPin, isLiveText, messageLink } from '../lib/message-permissions.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { Dialog } from './dialog.tsx';
import { EmojiPicker } from './emoji-picker.tsx';
import { Icon, type IconName } from './icon.tsx';
import { toggleReaction } from './reactions.tsx';
import { ReportDialog } from './report-message.tsx';

/** The message an action is offered on, and where. */
export interface ActionTarget {
  entry: MessageView;
  me: UserId;
  conversation: ConversationSnapshot;
}

/** What an action can do to the screen. */
export interface ActionUi {
  client: ParleyClient;
  context: MessageContext;
  /** Turns the message into its inline editor. */
  startEdit(): void;
  /** Shows a dialog the action draws (a picker, a confirmation); `close` takes it away. */
  open(render: (close: () => void) => ReactNode): void;
}

/**
 * One thing a person can do to a message. The hover toolbar shows the
 * `quick` ones; the action sheet (the "More" button, or a long press on a
 * phone) shows every one available. A new action is one more entry in
 * MESSAGE_ACTIONS.
 */
export interface MessageAction {
  id: string;
  label: string;
  icon: IconName;
  quick?: boolean;
  danger?: boolean;
  available(target: ActionTarget): boolean;
  run(target: ActionTarget, ui: ActionUi): void;
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export const MESSAGE_ACTIONS: readonly MessageAction[] = [
  {
    id: 'reply',
    label: 'Reply',
    icon: 'reply',
    quick: true,
    available: ({ entry }) => isLiveText(entry),
    run: ({ entry }, ui) => ui.context.reply(entry),
  },
  {
    id: 'thread',
    label: 'Reply in thread',
    icon: 'thread',
    quick: true,
    // A thread reply is not a root: its thread is the one it is in (its Reply quotes it there).
    available: ({ entry }) => isLiveText(entry) && entry.thread_root === undefined,
    run: ({ entry }, ui) => ui.context.openThread(entry.seq),
  },
  {
    id: 'react',
    label: 'Add reaction',
    icon: 'smile',
    quick: true,
    available: ({ entry }) => isLiveText(entry),
    run: ({ entry, me }, ui) =>
      ui.open((close) => (
        <EmojiPicker
          onClose={close}
          onPick={(emoji) => {
            close();
            toggleReaction(ui.client, ui.context, entry, emoji, me);
          }}
        />
      )),
  },
  {
    id: 'edit',
    label: 'Edit',
    icon: 'compose',
    available: ({ entry, me }) => canEdit(entry, me),
    run: (_target, ui) => ui.startEdit(),
  },
  {
    id: 'copy-text',
    label: 'Copy text',
    icon: 'copy',
    available: ({ entry }) => isLiveText(entry),
    run: ({ entry }, ui) => {
      if (entry.message.type !== 'text') return;
      void copy(entry.message.text).then((ok) => ui.context.notify(ok ? 'Text copied.' : 'Could not copy the text.'));
    },
  },
  {
    id: 'copy-link',
    label: 'Copy link',
    icon: 'link',
    available: ({ entry }) => entry.message.type !== 'system',
    run: ({ entry }, ui) => {
      const link = messageLink(window.location.origin, entry.conversation_id, entry.seq);
      void copy(link).then((ok) => {
        if (ok) return ui.context.notify('Link copied.');
        // No clipboard (an insecure origin, or refused): show the link to copy by hand.
        ui.open((close) => (
          <Dialog title="Link to this message" onClose={close}>
            <input type="text" readOnly value={link} aria-label="Link" onFocus={(e) => e.target.select()} />
          </Dialog>
        ));
      });
    },
  },
  {
    id: 'pin',
    label: 'Pin',
    icon: 'pin',
    available: ({ entry, me, conversation }) => !entry.pinned_at && canPin(entry, me, conversation),
    run: ({ entry }, ui) => {
      ui.client.pin(entry.conversation_id, entry.seq).catch((err: unknown) => ui.context.notify(`Not pinned. ${describeError(err)}`));
    },
  },
  {
    id: 'unpin',
    label: 'Unpin',
    icon: 'pin',
    available: ({ entry, me, conversation }) => !!entry.pinned_at && canPin(entry, me, conversation),
    run: ({ entry }, ui) => {
      ui.client.unpin(entry.conversation_id, entry.seq).catch((err: unknown) => ui.context.notify(`Not unpinned. ${describeError(err)}`));
    },
  },
  {
    id: 'report',
    label: 'Report',
    icon: 'shield',
    available: ({ entry, me }) => isLiveText(entry) && entry.sender_id !== me,
    run: ({ entry }, ui) =>
      ui.open((close) => (
        <ReportDialog
          entry={entry}
          onClose={close}
          onReported={() => {
            close();
            ui.context.notify('Reported to the server operators.');
          }}
        />
      )),
  },
  {
    id: 'delete',
    label: 'Delete',
    icon: 'trash',
    danger: true,
    available: ({ entry, me, conversation }) => canDelete(entry, me, conversation),
    run: ({ entry, me }, ui) =>
      ui.open((close) => (
        <ConfirmDialog
          title="Delete message?"
          confirmLabel="Delete"
          onCancel={close}
          onConfirm={() => {
            close();
            ui.client.deleteMessage(entry.conversation_id, entry.seq).catch((err: unknown) => ui.context.notify(`Not deleted. ${describeError(err)}`));
          }}
        >
          <p>
            {entry.sender_id === me
              ? 'It will show as "message deleted" for everyone.'
              : `This is ${ui.context.nameOf(entry.sender_id)}'s message. It will show as "message deleted" for everyone.`}
          </p>
        </ConfirmDialog>
      )),
  },
];

/**
 * The actions on one message: a small toolbar shown while the pointer is over
 * the message or focus is in it, whose "More actions" button (one tab stop
 * per message, always there for keyboards and screen readers) opens the
 * sheet of every action. `sheetOpen` lets a long press open the same sheet.
 */
export function MessageActions({ entry, onEdit, sheetOpen, setSheetOpen }: { entry: MessageView; onEdit: () => void; sheetOpen: boolean; setSheetOpen: (open: boolean) => void }) {
  const { client, me } = useSignedIn();
  const context = useMessageContext();
  const [dialog, setDialog] = useState<ReactNode>(null);
  const target: ActionTarget = { entry, me: me.id, conversation: context.conversation() };
  const available = MESSAGE_ACTIONS.filter((a) => a.available(target));
  if (available.length === 0) return null;
  const ui: ActionUi = {
    client,
    context,
    startEdit: onEdit,
    open: (render) => setDialog(render(() => setDialog(null))),
  };
  const run = (action: MessageAction): void => {
    setSheetOpen(false);
    action.run(target, ui);
  };
  return (
    <>
      <div className="message-toolbar" role="toolbar" aria-label="Message actions">
        {available
          .filter((a) => a.quick)
          .map((a) => (
            // Only "More actions" is a tab stop: a long history stays quick to tab through, and the sheet has every action.
            <button key={a.id} type="button" className="message-toolbar__button" tabIndex={-1} aria-label={a.label} title={a.label} onClick={() => run(a)}>
              <Icon name={a.icon} size={18} />
            </button>
          ))}
        <button type="button" className="message-toolbar__button" aria-label="More actions" aria-haspopup="dialog" title="More actions" onClick={() => setSheetOpen(true)}>
          <Icon name="more" size={18} />
        </button>
      </div>
      {sheetOpen && (
        <Dialog title="Message actions" onClose={() => setSheetOpen(false)} className="dialog--sheet">
          <ul className="action-sheet">
            {available.map((a) => (
              <li key={a.id}>
                <button type="button" className={`action-sheet__button${a.danger ? ' action-sheet__button--danger' : ''}`} onClick={() => run(a)}>
                  <Icon name={a.icon} /> {a.label}
                </button>
              </li>
            ))}
          </ul>
        </Dialog>
      )}
      {dialog}
    </>
  );
}
