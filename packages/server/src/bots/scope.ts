import type { FastifyRequest } from 'fastify';
import type { ClientFrame, ConversationView } from '@parley/protocol';
import type { TokenScope } from '../auth/access-tokens.ts';
import { AppError } from '../errors.ts';

/**
 * What a bot token's scope lets through, in one place: the frames a socket
 * may send, the pushes it may hear, and the REST routes it may call. Outside
 * its conversations a bot is told what a non-member is told
 * (`conversation_not_found`), so a scope reveals nothing about what it hides.
 */

export function inScope(scope: TokenScope, conversationId: string): boolean {
  return scope.conversations === null || scope.conversations.includes(conversationId);
}

const outside = (): AppError => new AppError('conversation_not_found', 'conversation not found');
const cannot = (what: 'read' | 'send'): AppError => new AppError('forbidden', `this bot token may not ${what}`);

/** Throws when a scoped socket may not send this frame. */
export function checkFrame(scope: TokenScope | null, frame: ClientFrame): void {
  if (!scope) return;
  switch (frame.type) {
    case 'auth':
    case 'ping':
    case 'presence_subscribe':
    case 'presence_unsubscribe':
      return;
    case 'send_message':
    case 'typing':
      if (!inScope(scope, frame.conversation_id)) throw outside();
      if (!scope.send) throw cannot('send');
      return;
    case 'delivered':
    case 'read':
      if (!inScope(scope, frame.conversation_id)) throw outside();
      if (!scope.read) throw cannot('read');
      return;
    case 'sync':
      if (!scope.read) throw cannot('read');
      for (const id of Object.keys(frame.cursors)) if (!inScope(scope, id)) throw outside();
      return;
    default:
      // Calls are for people: a bot token places and answers none.
      throw new AppError('forbidden', 'bot tokens cannot use calls');
  }
}

/**
 * What a fan-out payload is about, as the hub knows it from the channel it
 * came on (a room or presence channel) or from the user channel's envelope
 * (bus/control.ts): the payload itself is never parsed for this.
 */
export type PushSubject = { kind: 'conversation'; id: string } | { kind: 'presence' } | { kind: 'other' };
export const PRESENCE_PUSH: PushSubject = { kind: 'presence' };
export const OTHER_PUSH: PushSubject = { kind: 'other' };

/**
 * Whether a fan-out payload may reach a scoped socket: entries, receipts,
 * typing and membership news only of its conversations, and none of them
 * without `read`; presence always; nothing else.
 */
export function pushAllowed(scope: TokenScope, subject: PushSubject): boolean {
  if (subject.kind === 'presence') return true;
  if (subject.kind === 'other') return false;
  return scope.read && inScope(scope, subject.id);
}

/**
 * REST guard (a preHandler of the authenticated scope). A bot token may read
 * its conversations, their history and members, post messages in them, and
 * look people up; it may not create conversations, change members, manage
 * bots or webhooks, or take WebSocket tickets (a ticket would drop the scope).
 */
export async function guardBotScope(req: FastifyRequest): Promise<void> {
  const scope = req.token?.scope;
  if (!scope) return;
  const route = req.routeOptions.url ?? '';
  const method = req.method;
  if (route.startsWith('/api/v1/users') && method === 'GET') return;
  if (route === '/api/v1/conversations' && method === 'GET') return;
  if (route === '/api/v1/calls/ice-servers') throw new AppError('forbidden', 'bot tokens cannot use calls');
  const id = (req.params as { id?: string } | undefined)?.id;
  if (route.startsWith('/api/v1/conversations/:id') && id !== undefined) {
    if (!inScope(scope, id)) throw outside();
    const rest = route.slice('/api/v1/conversations/:id'.length);
    if (method === 'GET' && (rest === '' || rest === '/members')) return;
    if (rest === '/messages' && method === 'GET') {
      if (!scope.read) throw cannot('read');
      return;
    }
    if (rest === '/messages' && method === 'POST') {
      if (!scope.send) throw cannot('send');
      return;
    }
  }
  throw new AppError('forbidden', 'bot tokens cannot do this');
}

/** Filters the conversation list a scoped bot gets (a preSerialization hook of the authenticated scope). */
export async function filterBotConversations(req: FastifyRequest, _reply: unknown, payload: unknown): Promise<unknown> {
  const scope = req.token?.scope;
  if (!scope || scope.conversations === null || req.routeOptions.url !== '/api/v1/conversations' || req.method !== 'GET') return payload;
  const list = payload as { conversations?: ConversationView[] } | null;
  if (!list || !Array.isArray(list.conversations)) return payload;
  return { ...list, conversations: list.conversations.filter((c) => inScope(scope, c.id)) };
}
