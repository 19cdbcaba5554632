import type { Seq } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useEffect, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useClientState } from '../hooks/use-client-state.ts';
import { describeError } from '../lib/errors.ts';
import { memberName } from '../lib/names.ts';
import { Dialog } from './dialog.tsx';

/**
 * A conversation's pinned messages, newest pin first: the server's list,
 * kept current by the pin and unpin entries that arrive while it is open.
 * Show takes the conversation to the message, in context.
 */
export function PinsDialog({ conversation, onClose, onShow }: { conversation: ConversationSnapshot; onClose: () => void; onShow: (seq: Seq) => void }) {
  const { client, me } = useSignedIn();
  const [state, setState] = useState<{ loading: boolean; error: string | null }>({ loading: true, error: null });
  const pins = useClientState(client, ['pins', 'message'], () => client.pins(conversation.id), [conversation.id]);

  useEffect(() => {
    let live = true;
    client.loadPins(conversation.id).then(
      () => live && setState({ loading: false, error: null }),
      (err: unknown) => live && setState({ loading: false, error: describeError(err) }),
    );
    return () => {
      live = false;
    };
  }, [client, conversation.id]);

  const name = (id: string) => (id === me.id ? 'You' : memberName(conversation, me.id, id));
  const textOf = (seq: Seq): string | null => {
    const pin = pins.find((p) => p.seq === seq);
    const message = pin?.message ?? client.messages(conversation.id).find((m) => m.seq === seq);
    return message?.message.type === 'text' ? message.message.text : null;
  };

  return (
    <Dialog title="Pinned messages" onClose={onClose}>
      {state.error && (
        <p className="form-error" role="alert">
          {state.error}
        </p>
      )}
      {state.loading && pins.length === 0 ? (
        <p role="status">Loading pinned messages…</p>
      ) : pins.length === 0 ? (
        <p className="empty-hint">No pinned messages. Pin one from its actions (More actions, or a long press).</p>
      ) : (
        <ul className="pins">
          {pins.map((pin) => (
            <li key={pin.seq} className="pins__item" data-seq={pin.seq}>
              <p className="pins__text">{textOf(pin.seq) ?? 'A message not loaded here yet'}</p>
              <p className="pins__meta">Pinned by {name(pin.pinned_by)}</p>
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  onShow(pin.seq);
                  onClose();
                }}
              >
                Show in conversation
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
