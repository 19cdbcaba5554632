import type { MessageView, ReactionView, UserId } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { useLongPress } from '../hooks/use-long-press.ts';
import { useMessageContext, type MessageContext } from '../hooks/use-message-context.ts';
import { describeError } from '../lib/errors.ts';
import { recordEmoji } from '../lib/frequent-emoji.ts';

/** Adds this person's reaction with `emoji`, or takes it back if they had it; a refusal is told, and the SDK rolls it back. */
export function toggleReaction(client: ParleyClient, context: MessageContext, entry: MessageView, emoji: string, me: UserId): void {
  const mine = entry.reactions?.some((r) => r.emoji === emoji && r.user_ids.includes(me)) ?? false;
  if (!mine) recordEmoji(me, emoji);
  const done = mine ? client.unreact(entry.conversation_id, entry.seq, emoji) : client.react(entry.conversation_id, entry.seq, emoji);
  done.catch((err: unknown) => context.notify(`Reaction not saved. ${describeError(err)}`));
}

/** "Ann, Bo and you": who reacted, the reader last. */
function whoReacted(reaction: ReactionView, me: UserId, nameOf: (id: UserId) => string): string {
  const names = reaction.user_ids.filter((id) => id !== me).map(nameOf);
  if (reaction.user_ids.includes(me)) names.push('you');
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function Chip({ entry, reaction }: { entry: MessageView; reaction: ReactionView }) {
  const { client, me } = useSignedIn();
  const context = useMessageContext();
  const [showWho, setShowWho] = useState(false);
  const press = useLongPress(() => setShowWho(true));
  const mine = reaction.user_ids.includes(me.id);
  const who = whoReacted(reaction, me.id, context.nameOf);
  return (
    <li className="reactions__item">
      <button
        type="button"
        className={`reaction${mine ? ' reaction--mine' : ''}`}
        aria-pressed={mine}
        aria-label={`${reaction.emoji} ${reaction.count}: ${who}`}
        title={who}
        data-emoji={reaction.emoji}
        onClick={() => toggleReaction(client, context, entry, reaction.emoji, me.id)}
        onBlur={() => setShowWho(false)}
        {...press}
      >
        <span aria-hidden="true">{reaction.emoji}</span>
        <span className="reaction__count" aria-hidden="true">
          {reaction.count}
        </span>
      </button>
      {showWho && (
        <span className="reactions__who" role="status">
          {reaction.emoji} {who}
        </span>
      )}
    </li>
  );
}

/**
 * The reactions under a message: each emoji with its count, marked when the
 * reader is among them; a click adds or takes back the reader's one. Who
 * reacted shows on hover (the title) and on a long press on a phone, and is
 * in each button's name for screen readers.
 */
export function Reactions({ entry }: { entry: MessageView }) {
  if (!entry.reactions?.length || entry.message.type !== 'text') return null;
  return (
    <ul className="reactions" aria-label="Reactions">
      {entry.reactions.map((r) => (
        <Chip key={r.emoji} entry={entry} reaction={r} />
      ))}
    </ul>
  );
}
