import type { MemberView, Seq } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { useEffect, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { describeError } from '../lib/errors.ts';
import { nameOf } from '../lib/names.ts';
import { Avatar } from './avatar.tsx';
import { Dialog } from './dialog.tsx';

/**
 * Who has read one of this person's messages in a group, and who has it
 * but has not read it yet: from the members' receipt cursors (the whole
 * member list from the server, not the preview the conversation holds),
 * kept current by the receipts that arrive while it is open.
 */
export function ReadByDialog({ conversation, seq, onClose }: { conversation: ConversationSnapshot; seq: Seq; onClose: () => void }) {
  const { client, me } = useSignedIn();
  const [members, setMembers] = useState<MemberView[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    client.api.listMembers(conversation.id).then(
      (list) => live && setMembers(list),
      (err: unknown) => live && setError(describeError(err)),
    );
    const off = client.on('receipt', (r) => {
      if (r.conversationId !== conversation.id) return;
      setMembers((list) => list && list.map((m) => (m.id === r.userId ? { ...m, read_seq: Math.max(m.read_seq, r.readSeq), delivered_seq: Math.max(m.delivered_seq, r.deliveredSeq) } : m)));
    });
    return () => {
      live = false;
      off();
    };
  }, [client, conversation.id]);

  const others = (members ?? []).filter((m) => m.id !== me.id).sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  const read = others.filter((m) => m.read_seq >= seq);
  const delivered = others.filter((m) => m.read_seq < seq && m.delivered_seq >= seq);
  const waiting = others.length - read.length - delivered.length;

  return (
    <Dialog title="Message info" onClose={onClose}>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!members && !error && <p className="field-hint">Loading…</p>}
      {members && (
        <div className="read-by">
          <PeopleList heading={`Read by ${read.length}`} people={read} empty="Nobody has read it yet." />
          <PeopleList heading={`Delivered to ${delivered.length}`} people={delivered} empty={read.length > 0 ? 'Everyone who has it has read it.' : 'Not delivered to anyone yet.'} />
          {waiting > 0 && <p className="field-hint">Not yet delivered to {waiting === 1 ? '1 person' : `${waiting} people`}.</p>}
        </div>
      )}
    </Dialog>
  );
}

function PeopleList({ heading, people, empty }: { heading: string; people: MemberView[]; empty: string }) {
  return (
    <section className="read-by__section" aria-label={heading}>
      <h3>{heading}</h3>
      {people.length === 0 ? (
        <p className="field-hint">{empty}</p>
      ) : (
        <ul className="read-by__list">
          {people.map((m) => (
            <li key={m.id} className="read-by__person">
              <Avatar id={m.id} name={nameOf(m)} size="sm" />
              <span>{nameOf(m)}</span>
              <span className="read-by__handle">@{m.username}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
