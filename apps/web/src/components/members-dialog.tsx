import { MAX_DESCRIPTION, type MemberView, type UserView } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { nameOf } from '../lib/names.ts';
import { Avatar } from './avatar.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { Dialog } from './dialog.tsx';
import { GroupSettings } from './group-settings.tsx';
import { UserSearch } from './user-search.tsx';

/**
 * A group's members, details and settings. Admins may add and remove people
 * (the server checks it too); anyone may leave. Both ask first. Changes reach every member as
 * `conversation` events; `onLeft` is told when this person has left.
 */
export function MembersDialog({
  conversation,
  onClose,
  onLeft,
}: {
  conversation: ConversationSnapshot;
  onClose: () => void;
  onLeft: () => void;
}) {
  const { client, me } = useSignedIn();
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState<{ kind: 'remove'; member: MemberView } | { kind: 'leave' } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const admin = conversation.members.some((m) => m.id === me.id && m.role === 'admin');
  const memberIds = useMemo(() => new Set(conversation.members.map((m) => m.id)), [conversation.members]);
  const members = [...conversation.members].sort(
    (a, b) => Number(b.id === me.id) - Number(a.id === me.id) || Number(b.role === 'admin') - Number(a.role === 'admin') || nameOf(a).localeCompare(nameOf(b)),
  );

  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = (user: UserView): void => void run(() => client.addMembers(conversation.id, [user.id]));
  const remove = (member: MemberView): void => {
    setAsking(null);
    void run(() => client.removeMember(conversation.id, member.id));
  };
  const leave = async (): Promise<void> => {
    setAsking(null);
    if (await run(() => client.removeMember(conversation.id, me.id))) onLeft();
  };
  const groupName = conversation.title ?? 'this group';

  return (
    <Dialog
      title="Members"
      onClose={onClose}
      footer={
        <button type="button" className="button button--danger" onClick={() => setAsking({ kind: 'leave' })} disabled={busy}>
          Leave group
        </button>
      }
    >
      <GroupDetails conversation={conversation} admin={admin} />
      <GroupSettings conversation={conversation} admin={admin} />
      {members.length < conversation.member_count && <p className="muted">Loading all {conversation.member_count} members…</p>}
      <ul className="user-list" aria-label={`${conversation.member_count} members`}>
        {members.map((m) => (
          <li key={m.id} className="member-row">
            <Avatar id={m.id} name={nameOf(m)} size="sm" />
            <span className="user-row__text">
              <span className="user-row__name">
                {m.id === me.id ? `${nameOf(m)} (you)` : nameOf(m)}
              </span>
              <span className="user-row__handle">@{m.username}</span>
            </span>
            {m.role === 'admin' && <span className="role-badge">Admin</span>}
            {admin && m.id !== me.id && (
              <button
                type="button"
                className="button button--small"
                onClick={() => void run(() => client.setRole(conversation.id, m.id, m.role === 'admin' ? 'member' : 'admin'))}
                disabled={busy}
                aria-label={m.role === 'admin' ? `Remove ${nameOf(m)} as admin` : `Make ${nameOf(m)} an admin`}
              >
                {m.role === 'admin' ? 'Remove admin' : 'Make admin'}
              </button>
            )}
            {admin && m.id !== me.id && (
              <button type="button" className="button button--small" onClick={() => setAsking({ kind: 'remove', member: m })} disabled={busy} aria-label={`Remove ${nameOf(m)}`}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {admin ? (
        <UserSearch label="Add people" actionLabel="Add" exclude={memberIds} onPick={add} disabled={busy} />
      ) : (
        <p className="muted">Only admins can add or remove members.</p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {asking?.kind === 'remove' && (
        <ConfirmDialog
          title={`Remove ${nameOf(asking.member)}?`}
          confirmLabel="Remove"
          onConfirm={() => remove(asking.member)}
          onCancel={() => setAsking(null)}
        >
          <p>
            {nameOf(asking.member)} (@{asking.member.username}) will no longer see {groupName} or its new messages. Everyone in it
            will see that you removed them.
          </p>
        </ConfirmDialog>
      )}
      {asking?.kind === 'leave' && (
        <ConfirmDialog title={`Leave ${groupName}?`} confirmLabel="Leave group" onConfirm={() => void leave()} onCancel={() => setAsking(null)}>
          <p>You will no longer see its messages. Someone still in it can add you back.</p>
        </ConfirmDialog>
      )}
    </Dialog>
  );
}

/**
 * A group's name and description: a form for its admins (each change is a
 * line in the conversation everyone sees), the description as text for the
 * others.
 */
function GroupDetails({ conversation, admin }: { conversation: ConversationSnapshot; admin: boolean }) {
  const { client } = useSignedIn();
  const [title, setTitle] = useState(conversation.title ?? '');
  const [description, setDescription] = useState(conversation.description ?? '');
  const [state, setState] = useState<{ busy: boolean; error: string | null; saved: boolean }>({ busy: false, error: null, saved: false });
  const id = useId();
  if (!admin) return conversation.description ? <p className="group-description">{conversation.description}</p> : null;

  const changed = title.trim() !== (conversation.title ?? '') || description.trim() !== (conversation.description ?? '');
  const save = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setState({ busy: true, error: null, saved: false });
    try {
      await client.updateGroup(conversation.id, { title: title.trim() || null, description: description.trim() || null });
      setState({ busy: false, error: null, saved: true });
    } catch (err) {
      setState({ busy: false, error: describeError(err), saved: false });
    }
  };

  return (
    <form className="stack group-details" onSubmit={(e) => void save(e)} aria-label="Group details">
      <div className="field">
        <label htmlFor={`${id}-title`}>Group name</label>
        <input id={`${id}-title`} value={title} maxLength={128} placeholder="No name: the members' names show instead" onChange={(e) => setTitle(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-description`}>Description</label>
        <textarea id={`${id}-description`} value={description} maxLength={MAX_DESCRIPTION} rows={2} onChange={(e) => setDescription(e.target.value)} />
      </div>
      {state.error && (
        <p className="form-error" role="alert">
          {state.error}
        </p>
      )}
      <div className="settings__actions">
        {state.saved && !changed && <span role="status">Saved.</span>}
        <button type="submit" className="button button--small" disabled={state.busy || !changed}>
          {state.busy ? 'Saving…' : 'Save details'}
        </button>
      </div>
    </form>
  );
}
