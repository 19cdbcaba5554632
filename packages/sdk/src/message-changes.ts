import type { ChangeContent, MessageView, ReactionView, UserId } from '@parley/protocol';

/**
 * How a `change` entry of the log (an edit, a delete, a reaction) turns a
 * message into its next state. Pure: it returns a new view (the UI compares
 * entries by identity) and leaves the old one untouched. A change at or below
 * the message's `last_change_seq` is already in it (the server read the view
 * after that change) and is not applied again, so replaying a log in any mix
 * of pushes, syncs and history pages ends in the same state.
 */
export function applyChange(target: MessageView, change: MessageView): MessageView {
  const content = change.message as ChangeContent;
  if (change.seq <= (target.last_change_seq ?? 0)) return target;
  const next: MessageView = { ...target, last_change_seq: change.seq };
  return applyContent(next, content, change.sender_id, change.created_at);
}

/** Applies what a change says, without the seq bookkeeping (also used for optimistic updates). */
export function applyContent(target: MessageView, content: Pick<ChangeContent, 'change' | 'text' | 'emoji' | 'restored'>, actor: UserId, at: string): MessageView {
  const message = target.message;
  if (message.type === 'deleted' && content.change !== 'deleted') return target;
  switch (content.change) {
    case 'edited':
      if (message.type !== 'text' || content.text === undefined) return { ...target, edited_at: at };
      return { ...target, message: { ...message, text: content.text }, edited_at: at };
    case 'deleted': {
      const { reactions: _gone, ...rest } = target;
      const clientMsgId = 'client_msg_id' in message ? message.client_msg_id : undefined;
      return { ...rest, message: clientMsgId ? { type: 'deleted', client_msg_id: clientMsgId } : { type: 'deleted' }, deleted_at: at };
    }
    case 'reaction_added':
      return { ...target, reactions: withReaction(target.reactions ?? [], content.emoji!, actor, true) };
    case 'reaction_removed':
      return { ...target, reactions: withReaction(target.reactions ?? [], content.emoji!, actor, false) };
    // Moderation: hidden for every member ("removed by moderation"), then maybe restored with its content.
    case 'hidden': {
      const clientMsgId = 'client_msg_id' in message ? message.client_msg_id : undefined;
      return { ...target, message: clientMsgId ? { type: 'hidden', client_msg_id: clientMsgId } : { type: 'hidden' }, hidden_at: at };
    }
    case 'restored': {
      // Without its content (the server strips it once the message is hidden again or deleted) a later entry says what holds.
      if (!content.restored) return target;
      const { hidden_at: _gone, ...rest } = target;
      return { ...rest, message: content.restored };
    }
  }
}

function withReaction(reactions: readonly ReactionView[], emoji: string, user: UserId, on: boolean): ReactionView[] {
  const out: ReactionView[] = [];
  let found = false;
  for (const r of reactions) {
    if (r.emoji !== emoji) {
      out.push(r);
      continue;
    }
    found = true;
    const users = on ? (r.user_ids.includes(user) ? r.user_ids : [...r.user_ids, user]) : r.user_ids.filter((id) => id !== user);
    if (users.length > 0) out.push({ emoji, count: users.length, user_ids: users });
  }
  if (!found && on) out.push({ emoji, count: 1, user_ids: [user] });
  return out;
}

export const isChange = (entry: MessageView): boolean => entry.message.type === 'change';
