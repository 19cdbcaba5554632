import type { MemberView, UserView } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useMemo, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { nameOf } from '../lib/names.ts';
import { Avatar } from './avatar.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { Dialog } from './dialog.tsx';
import { UserSearch } from './user-search.tsx';

/**
 * A group's members. Admins may add and remove people (the server checks it
 * too); anyone may leave. Both ask first. Changes reach every member as
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
