import type { MemberView, UserView } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useMemo, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { nameOf } from '../lib/names.ts';
import { Avatar } from './avatar.tsx';
import { Dialog } from './dialog.tsx';
import { UserSearch } from './user-search.tsx';

/**
 * A group's members. Admins may add and remove people (the server checks it
 * too); anyone may leave. Changes reach every member as `conversation` events.
 */
export function MembersDialog({ conversation, onClose }: { conversation: ConversationSnapshot; onClose: () => void }) {
  const { client, me } = useSignedIn();
  const [busy, setBusy] = useState(false);
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
  const remove = (member: MemberView): void => void run(() => client.removeMember(conversation.id, member.id));
  const leave = async (): Promise<void> => {
    if (await run(() => client.removeMember(conversation.id, me.id))) onClose();
  };

  return (
    <Dialog
      title="Members"
      onClose={onClose}
      footer={
        <button type="button" className="button button--danger" onClick={() => void leave()} disabled={busy}>
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
              <button type="button" className="button button--small" onClick={() => remove(m)} disabled={busy} aria-label={`Remove ${nameOf(m)}`}>
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
    </Dialog>
  );
}
