import type { ConversationId, UserView } from '@parley/protocol';
import { useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { Dialog } from './dialog.tsx';
import { UserSearch } from './user-search.tsx';

/** Find someone and open the direct conversation with them (the server keeps one per pair). */
export function NewChatDialog({ onClose, onOpened }: { onClose: () => void; onOpened: (id: ConversationId) => void }) {
  const { client } = useSignedIn();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const pick = async (user: UserView): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const conversation = await client.createDirect(user.id);
      onOpened(conversation.id);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title="New chat" onClose={onClose}>
      <UserSearch label="Find someone" actionLabel="Chat with" onPick={(u) => void pick(u)} autoFocus disabled={busy} browse />
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
