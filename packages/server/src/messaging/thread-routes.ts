import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import {
  ConversationParams,
  MessageParams,
  PinsResponseSchema,
  ThreadPageSchema,
  ThreadParams,
  ThreadQuery,
  ThreadReadBody,
  ThreadReadResponseSchema,
} from '@parley/protocol';
import type { MessageChanges } from './message-changes.ts';
import type { Threads } from './threads.ts';
import { answer, response as changeResponse, type Params, type Reply as ChangeReply } from './change-routes.ts';

/**
 * Threads and pins over REST (#15): a thread's replies page by page, marking
 * a thread read (as the `thread_read` frame does), the conversation's pins,
 * and pin / unpin (as the `pin_message` frame does: 201 when made, 200 when
 * the state already held).
 */
export function registerThreadRoutes(app: FastifyInstance, threads: Threads, changes: MessageChanges): void {
  app.get<{ Params: Params; Querystring: ThreadQuery; Reply: Static<typeof ThreadPageSchema> }>(
    '/api/v1/conversations/:id/threads/:seq',
    {
      schema: {
        summary: "A thread: its root and a page of its replies (oldest first, above after_seq), with the caller's read state",
        params: ThreadParams,
        querystring: ThreadQuery,
        response: { 200: ThreadPageSchema },
      },
    },
    (req) => threads.page(req.userId, req.params.id, req.params.seq, req.query),
  );
  app.post<{ Params: Params; Body: ThreadReadBody; Reply: Static<typeof ThreadReadResponseSchema> }>(
    '/api/v1/conversations/:id/threads/:seq/read',
    {
      schema: { summary: 'Mark a thread read up to a reply (never moves back)', params: ThreadParams, body: ThreadReadBody, response: { 200: ThreadReadResponseSchema } },
      config: { limit: 'messages' },
    },
    async (req) => {
      const { type: _type, ...state } = await threads.markRead(req.userId, req.params.id, req.params.seq, req.body.seq);
      return state;
    },
  );
  app.get<{ Params: { id: string }; Reply: Static<typeof PinsResponseSchema> }>(
    '/api/v1/conversations/:id/pins',
    { schema: { summary: "The conversation's pinned messages, most recently pinned first", params: ConversationParams, response: { 200: PinsResponseSchema } } },
    (req) => threads.pins(req.userId, req.params.id),
  );
  for (const action of ['pin', 'unpin'] as const) {
    app.route<{ Params: Params; Reply: ChangeReply }>({
      method: action === 'pin' ? 'PUT' : 'DELETE',
      url: '/api/v1/conversations/:id/messages/:seq/pin',
      schema: {
        summary: action === 'pin' ? 'Pin a message (group admins, or members where the group allows; both members of a direct conversation)' : 'Unpin a message',
        params: MessageParams,
        response: changeResponse,
      },
      config: { limit: 'messages' },
      handler: async (req, reply) => answer(reply, await changes.apply(req.userId, req.params.id, { kind: 'pin', seq: req.params.seq, action })),
    });
  }
}
