import {
  isReactionEmoji,
  MAX_TEXT_LENGTH,
  type ChangeContent,
  type ConversationId,
  type MessageChangeFrame,
  type MessageView,
  type PinMessageFrame,
  type Seq,
  type ServerFrame,
  type UserId,
} from '@parley/protocol';
import { ParleyError } from './errors.ts';
import { applyContent } from './message-changes.ts';
import type { ConversationStore } from './conversation-store.ts';

export interface MessageActionsDeps {
  store: ConversationStore;
  request(frame: MessageChangeFrame | PinMessageFrame): Promise<ServerFrame>;
  /** The signed-in user, or null. */
  me(): UserId | null;
  randomUUID(): string;
  /** Takes the change's entry into the log (as the push or a sync would). */
  ingest(entry: MessageView): void;
}

/**
 * Edits, deletes and reactions from this client. Each shows at once
 * (optimistically, as an overlay on the message), is sent as a request, and
 * when the server answers the overlay goes: on `ack` the change's own log
 * entry has been taken in (built from the ack, so it need not wait for its
 * push), on refusal the message is as it was (a rollback) and the promise
 * rejects with the server's code (`forbidden`, `message_deleted`, …).
 */
export class MessageActions {
  constructor(private readonly deps: MessageActionsDeps) {}

  edit(conversationId: ConversationId, seq: Seq, text: string): Promise<MessageView> {
    if (text.length === 0 || text.length > MAX_TEXT_LENGTH) {
      return Promise.reject(new ParleyError('validation_failed', `text must be 1 to ${MAX_TEXT_LENGTH} characters`));
    }
    const clientMsgId = this.deps.randomUUID();
    return this.change(conversationId, seq, { change: 'edited', text, client_msg_id: clientMsgId }, {
      type: 'edit_message',
      conversation_id: conversationId,
      seq,
      text,
      client_msg_id: clientMsgId,
    });
  }

  delete(conversationId: ConversationId, seq: Seq): Promise<MessageView> {
    return this.change(conversationId, seq, { change: 'deleted' }, { type: 'delete_message', conversation_id: conversationId, seq });
  }

  react(conversationId: ConversationId, seq: Seq, emoji: string, on: boolean): Promise<MessageView> {
    if (!isReactionEmoji(emoji)) return Promise.reject(new ParleyError('invalid_emoji', 'a reaction is exactly one emoji'));
    return this.change(conversationId, seq, { change: on ? 'reaction_added' : 'reaction_removed', emoji }, {
      type: 'react_message',
      conversation_id: conversationId,
      seq,
      emoji,
      action: on ? 'add' : 'remove',
    });
  }

  /** Pins (`on`) or unpins a message: shown at once (the message's `pinned_at`, the store's pins), rolled back on refusal. */
  pin(conversationId: ConversationId, seq: Seq, on: boolean): Promise<MessageView> {
    return this.change(conversationId, seq, { change: on ? 'pinned' : 'unpinned' }, {
      type: 'pin_message',
      conversation_id: conversationId,
      seq,
      action: on ? 'pin' : 'unpin',
    });
  }

  private async change(
    conversationId: ConversationId,
    seq: Seq,
    content: Pick<ChangeContent, 'change' | 'text' | 'emoji' | 'client_msg_id'>,
    frame: MessageChangeFrame | PinMessageFrame,
  ): Promise<MessageView> {
    const { store } = this.deps;
    const me = this.deps.me();
    const log = store.log(conversationId);
    const target = log?.get(seq);
    if (!me) throw new ParleyError('unauthenticated', 'log in first');
    if (!log || !target || target.message.type === 'change') throw new ParleyError('message_not_found', 'no such message held');
    const undo = log.overlay(seq, (e) => applyContent(e, content, me, new Date().toISOString()));
    store.touch(conversationId, seq);
    try {
      const ack = await this.deps.request(frame);
      if (ack.type !== 'ack') throw new ParleyError('bad_response', `expected ack, got ${ack.type}`);
      const entry: MessageView = {
        conversation_id: ack.conversation_id,
        seq: ack.seq,
        message_id: ack.message_id,
        sender_id: me,
        message: { type: 'change', target_seq: seq, target_id: target.message_id, ...content },
        created_at: ack.created_at,
      };
      // A duplicate's entry is the one that made this state: already held, or about to be replayed.
      this.deps.ingest(entry);
      return entry;
    } finally {
      undo();
      store.touch(conversationId, seq);
    }
  }
}
