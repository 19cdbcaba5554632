import type { MessageView, Seq, UserId } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { createContext, useContext } from 'react';

/** A reply being written: what the composer quotes above the field. */
export interface ReplyDraft {
  seq: Seq;
  /** Who wrote the message replied to, as the reader knows them. */
  name: string;
  /** Its text, markers removed. */
  text: string;
}

/**
 * What a message in the open conversation needs from around it, for its
 * actions, reactions and quote. The message list provides one object for its
 * whole life (every field a function reading the latest state), so providing
 * it never redraws the memoised messages; they read it when they draw or act.
 */
export interface MessageContext {
  conversation(): ConversationSnapshot;
  /** A member's name as the reader knows them ("You" for the reader). */
  nameOf(userId: UserId): string;
  /** Starts a reply to this message in the composer. */
  reply(entry: MessageView): void;
  /** Opens the thread whose root is this message (in the thread panel, puts the cursor in its composer). */
  openThread(rootSeq: Seq): void;
  /** Brings a message of this conversation into view (loading older history until it is there). */
  jumpTo(seq: Seq): void;
  /** Tells the reader something in the list's status line ("Link copied", or why an action failed). */
  notify(text: string): void;
}

export const MessageContextValue = createContext<MessageContext | null>(null);

export function useMessageContext(): MessageContext {
  const value = useContext(MessageContextValue);
  if (!value) throw new Error('useMessageContext outside a message list');
  return value;
}
