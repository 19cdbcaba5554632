import { Type, type Static } from 'typebox';
import { MAX_TEXT_LENGTH } from './limits.ts';
import { Uuid } from './common.ts';
export * from './reactions.ts';

/**
 * Edits, deletes and reactions: the client frames and REST bodies that ask
 * for them. Each change the server accepts becomes an entry of the
 * conversation's log (a `message` frame whose `message.type` is `change`),
 * with its own seq, pushed live and replayed by `sync` like any entry.
 */

const RequestId = Type.String({ minLength: 1, maxLength: 64 });
/** The seq of the message a change applies to (a user message of the same conversation). */
const TargetSeq = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
const EditText = Type.String({ minLength: 1, maxLength: MAX_TEXT_LENGTH });
const ClientMsgId = Type.String({ minLength: 1, maxLength: 64 });
/** Checked further by `isReactionEmoji`: one emoji (a single RGI emoji grapheme). */
const Emoji = Type.String({ minLength: 1, maxLength: 32 });

/** Replaces the text of one's own message. The previous text is kept in its edit history. */
export const EditMessageFrame = Type.Object(
  {
    type: Type.Literal('edit_message'),
    id: Type.Optional(RequestId),
    conversation_id: Uuid,
    seq: TargetSeq,
    text: EditText,
    /** Picked by the client: a retry with the same id answers the original edit (`duplicate`). */
    client_msg_id: ClientMsgId,
  },
  { additionalProperties: false },
);

/** Deletes a message (its author, or a group admin): its content is removed; the entry stays, as deleted. */
export const DeleteMessageFrame = Type.Object(
  { type: Type.Literal('delete_message'), id: Type.Optional(RequestId), conversation_id: Uuid, seq: TargetSeq },
  { additionalProperties: false },
);

/** Adds or removes the caller's reaction with one emoji. Asking for the state that already holds changes nothing (`duplicate`). */
export const ReactMessageFrame = Type.Object(
  {
    type: Type.Literal('react_message'),
    id: Type.Optional(RequestId),
    conversation_id: Uuid,
    seq: TargetSeq,
    emoji: Emoji,
    action: Type.Union([Type.Literal('add'), Type.Literal('remove')]),
  },
  { additionalProperties: false },
);

export const MessageChangeFrames = {
  edit_message: EditMessageFrame,
  delete_message: DeleteMessageFrame,
  react_message: ReactMessageFrame,
} as const;

export type EditMessageFrame = Static<typeof EditMessageFrame>;
export type DeleteMessageFrame = Static<typeof DeleteMessageFrame>;
export type ReactMessageFrame = Static<typeof ReactMessageFrame>;
export type MessageChangeFrame = EditMessageFrame | DeleteMessageFrame | ReactMessageFrame;

/** `POST /conversations/:id/messages/:seq/edits`. */
export const EditMessageBody = Type.Object({ text: EditText, client_msg_id: ClientMsgId }, { additionalProperties: false });
export type EditMessageBody = Static<typeof EditMessageBody>;
/** `POST /conversations/:id/messages/:seq/reactions`. */
export const AddReactionBody = Type.Object({ emoji: Emoji }, { additionalProperties: false });
export type AddReactionBody = Static<typeof AddReactionBody>;
export const MessageParams = Type.Object({ id: Uuid, seq: TargetSeq });
export const ReactionParams = Type.Object({ id: Uuid, seq: TargetSeq, emoji: Emoji });
