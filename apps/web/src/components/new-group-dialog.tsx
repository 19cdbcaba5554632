import type { ConversationId, UserView } from '@parley/protocol';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { nameOf } from '../lib/names.ts';
import { Dialog } from './dialog.tsx';
import { Icon } from './icon.tsx';
import { UserSearch } from './user-search.tsx';

/** Name a group and choose its first members; its creator is its admin. */
export function NewGroupDialog({ onClose, onOpened }: { onClose: () => void; onOpened: (id: ConversationId) => void }) {
  const { client } = useSignedIn();
  const [title, setTitle] = useState('');
  const [members, setMembers] = useState<UserView[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const formId = useId();
  const chosen = useMemo(() => new Set(members.map((m) => m.id)), [members]);

  const create = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (members.length === 0) {
      setError('Add at least one person.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const name = title.trim();
      const conversation = await client.createGroup(
        members.map((m) => m.id),
        name || undefined,
      );
      onOpened(conversation.id);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="New group"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button--primary" disabled={busy || members.length === 0}>
            {busy ? 'Creating…' : 'Create group'}
          </button>
        </>
      }
    >
      <form id={formId} onSubmit={(e) => void create(e)} className="stack">
        <div className="field">
          <label htmlFor={titleId}>Group name</label>
          <input id={titleId} value={title} maxLength={128} placeholder="e.g. Weekend trip" autoFocus onChange={(e) => setTitle(e.target.value)} />
        </div>
      </form>
      {members.length > 0 && (
        <ul className="chips" aria-label="Chosen members">
          {members.map((m) => (
            <li key={m.id} className="chip">
              {nameOf(m)}
              <button
                type="button"
                className="chip__remove"
                aria-label={`Remove ${nameOf(m)}`}
                onClick={() => setMembers((all) => all.filter((x) => x.id !== m.id))}
              >
                <Icon name="close" size={14} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <UserSearch label="Add people" actionLabel="Add" exclude={chosen} onPick={(u) => setMembers((all) => [...all, u])} disabled={busy} />
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
