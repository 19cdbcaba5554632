import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Static } from 'typebox';
import {
  AddReactionBody,
  ChangeResponseSchema,
  EditMessageBody,
  MessageParams,
  ReactionParams,
} from '@parley/protocol';
import type { ChangeRequest, ChangeResult, MessageChanges } from './message-changes.ts';

/** A message's route parameters, and what every change route answers (thread-routes.ts's pin routes too). */
export type Params = { id: string; seq: number };
export type Reply = Static<typeof ChangeResponseSchema>;
export const response = { 200: ChangeResponseSchema, 201: ChangeResponseSchema };
/** A change's answer: 201 with the new entry, or 200 with the original when it repeats one already applied. */
export const answer = (reply: FastifyReply, { entry, duplicate }: ChangeResult) => reply.status(duplicate ? 200 : 201).send({ ...entry, duplicate });

/**
 * Edits, deletes and reactions over REST: the same changes as the
 * `edit_message`, `delete_message` and `react_message` frames, answered with
 * the change's log entry: 201 when it was made, 200 when nothing changed (a
 * retried edit, a second delete, a reaction already there or already gone).
 */
export function registerMessageChangeRoutes(app: FastifyInstance, changes: MessageChanges): void {
  const apply = (userId: string, params: Params, request: ChangeRequest) => changes.apply(userId, params.id, request);

  app.post<{ Params: Params; Body: EditMessageBody; Reply: Reply }>(
    '/api/v1/conversations/:id/messages/:seq/edits',
    {
      schema: { summary: "Edit one's own message; idempotent per client_msg_id", params: MessageParams, body: EditMessageBody, response },
      config: { limit: 'messages' },
    },
    async (req, reply) => answer(reply, await apply(req.userId, req.params, { kind: 'edit', seq: req.params.seq, text: req.body.text, clientMsgId: req.body.client_msg_id })),
  );
  app.delete<{ Params: Params; Reply: Reply }>(
    '/api/v1/conversations/:id/messages/:seq',
    {
      schema: { summary: 'Delete a message (its author, or a group admin): its content is removed, the entry stays as deleted', params: MessageParams, response },
      config: { limit: 'messages' },
    },
    async (req, reply) => answer(reply, await apply(req.userId, req.params, { kind: 'delete', seq: req.params.seq })),
  );
  app.post<{ Params: Params; Body: AddReactionBody; Reply: Reply }>(
    '/api/v1/conversations/:id/messages/:seq/reactions',
    {
      schema: { summary: 'React to a message with one emoji', params: MessageParams, body: AddReactionBody, response },
      config: { limit: 'messages' },
    },
    async (req, reply) => answer(reply, await apply(req.userId, req.params, { kind: 'react', seq: req.params.seq, emoji: req.body.emoji, action: 'add' })),
  );
  app.delete<{ Params: Params & { emoji: string }; Reply: Reply }>(
    '/api/v1/conversations/:id/messages/:seq/reactions/:emoji',
    {
      schema: { summary: "Take back one's reaction (the emoji URL-encoded)", params: ReactionParams, response },
      config: { limit: 'messages' },
    },
    async (req, reply) => answer(reply, await apply(req.userId, req.params, { kind: 'react', seq: req.params.seq, emoji: req.params.emoji, action: 'remove' })),
  );
}
