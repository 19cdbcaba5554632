import type { CallClientFrame, ClientFrame, ClientFrameType, MessageChangeFrame, MessageView, PinMessageFrame } from '@parley/protocol';
import { CloseCodes } from '@parley/protocol';
import { presenceChannel } from '../bus/bus.ts';
import type { AccessTokens } from '../auth/access-tokens.ts';
import type { MessagingService } from '../messaging/messaging-service.ts';
import type { ChangeRequest, MessageChanges } from '../messaging/message-changes.ts';
import type { Threads } from '../messaging/threads.ts';
import type { PresenceService } from '../presence/presence-service.ts';
import type { CallService } from '../calls/call-service.ts';
import type { Connection } from './connection.ts';
import type { Hub } from './hub.ts';

/** The client frame whose `type` is T (a frame type shared by several names, like `delivered`/`read`, included). */
export type FrameOf<T extends ClientFrameType> = ClientFrame extends infer F ? (F extends { type: infer U } ? (T extends U ? F : never) : never) : never;

/** A frame handed off without holding up the socket's next frames; it is answered when `done` settles. */
export interface Pipelined {
  done: Promise<void>;
}

/**
 * Turns one valid frame into a capability call and writes its reply to the
 * socket. Throws (an AppError) to answer with an `error` frame.
 */
export type FrameHandler<T extends ClientFrameType> = (frame: FrameOf<T>, conn: Connection) => Promise<void | Pipelined>;

/**
 * One handler per client frame type. The mapped type makes the table
 * exhaustive: a frame type added to the protocol without a handler here does
 * not compile.
 */
export type FrameHandlers = { [T in ClientFrameType]: FrameHandler<T> };

/** Runs the handler of `frame`'s type (the one place the table is indexed by a runtime type). */
export function dispatch(handlers: FrameHandlers, frame: ClientFrame, conn: Connection): Promise<void | Pipelined> {
  const handler = handlers[frame.type] as (frame: ClientFrame, conn: Connection) => Promise<void | Pipelined>;
  return handler(frame, conn);
}

export interface HandlerDeps {
  messaging: MessagingService;
  changes: MessageChanges;
  threads: Threads;
  presence: PresenceService;
  calls: CallService;
  hub: Hub;
  tokens: AccessTokens;
  /** Entries replayed per conversation by a `sync` that names no limit. */
  syncPageSize: number;
  /** Told when a socket's token changed (`auth`), to file its new expiry. */
  onReauthenticated: (conn: Connection) => void;
}

/** The gateway's handler table; each handler gets only the dependencies it uses. */
export function frameHandlers(deps: HandlerDeps): FrameHandlers {
  const call = relayCall(deps.calls);
  return {
    send_message: sendMessage(deps.messaging),
    sync: sync(deps.messaging, deps.syncPageSize),
    delivered: receipt(deps.messaging),
    read: receipt(deps.messaging),
    typing: typing(deps.messaging),
    presence_subscribe: presenceSubscribe(deps.presence, deps.hub),
    presence_unsubscribe: presenceUnsubscribe(deps.hub),
    auth: reauthenticate(deps.tokens, deps.onReauthenticated),
    edit_message: change(deps.changes, (f: FrameOf<'edit_message'>) => ({ kind: 'edit', seq: f.seq, text: f.text, clientMsgId: f.client_msg_id })),
    delete_message: change(deps.changes, (f: FrameOf<'delete_message'>) => ({ kind: 'delete', seq: f.seq })),
    react_message: change(deps.changes, (f: FrameOf<'react_message'>) => ({ kind: 'react', seq: f.seq, emoji: f.emoji, action: f.action })),
    pin_message: change(deps.changes, (f: FrameOf<'pin_message'>) => ({ kind: 'pin', seq: f.seq, action: f.action })),
    thread_read: threadRead(deps.threads),
    ping: async (frame, conn) => conn.sendFrame({ type: 'pong', id: frame.id }),
    call_invite: call,
    call_answer: call,
    call_candidates: call,
    call_select_answer: call,
    call_reject: call,
    call_negotiate: call,
    call_hangup: call,
  };
}

/**
 * A send is pipelined: once handed to the writer (which keeps arrival order)
 * the socket's next frame goes on, and the ack follows the commit.
 */
function sendMessage(messaging: MessagingService): FrameHandler<'send_message'> {
  return (frame, conn) =>
    conn.pipeline(async () => {
      const { entry, duplicate } = await messaging.send(conn.userId, frame.conversation_id, frame.message);
      conn.sendFrame({
        ...ackOf(frame.id, entry, duplicate),
        // Thread replies and mentions (#15): what the sender's own copy needs and the ack would otherwise lack.
        ...(entry.thread_root !== undefined ? { thread_root: entry.thread_root } : {}),
        ...(entry.mentions ? { mentions: entry.mentions } : {}),
      });
    });
}

/** An edit, delete or reaction: answered with an `ack` of its log entry once committed. */
function change<F extends MessageChangeFrame | PinMessageFrame>(
  changes: MessageChanges,
  request: (frame: F) => ChangeRequest,
): (frame: F, conn: Connection) => Promise<void> {
  return async (frame, conn) => {
    const { entry, duplicate } = await changes.apply(conn.userId, frame.conversation_id, request(frame));
    conn.sendFrame(ackOf(frame.id, entry, duplicate));
  };
}

/** The `ack` of a request whose log entry committed (a send, or a change). */
function ackOf(id: string | undefined, entry: MessageView, duplicate: boolean) {
  return {
    type: 'ack',
    id,
    conversation_id: entry.conversation_id,
    message_id: entry.message_id,
    seq: entry.seq,
    created_at: entry.created_at,
    duplicate,
  } as const;
}

// A batched sync hands the same entry objects to every caller that needed
// them: each is serialised once.
const messageFrames = new WeakMap<MessageView, string>();
function messageFrame(entry: MessageView): string {
  let payload = messageFrames.get(entry);
  // Only sync replies use these, hence `replayed` (a client tells replayed entries from live ones).
  if (payload === undefined) messageFrames.set(entry, (payload = JSON.stringify({ type: 'message', ...entry, replayed: true })));
  return payload;
}

function sync(messaging: MessagingService, defaultPageSize: number): FrameHandler<'sync'> {
  return async (frame, conn) => {
    const result = await messaging.sync(conn.userId, frame.cursors, frame.limit ?? defaultPageSize);
    for (const entry of result.entries) conn.send(messageFrame(entry));
    conn.sendFrame({ type: 'synced', id: frame.id, limited: result.limited, cursors: result.cursors, removed: result.removed });
  };
}

/** Marks a thread read: the caller's devices get a `thread_read` frame; the request's reply echoes its id. */
function threadRead(threads: Threads): FrameHandler<'thread_read'> {
  return async (frame, conn) => {
    const state = await threads.markRead(conn.userId, frame.conversation_id, frame.root_seq, frame.seq);
    if (frame.id) conn.sendFrame({ ...state, id: frame.id });
  };
}

function receipt(messaging: MessagingService): FrameHandler<'delivered' | 'read'> {
  return async (frame, conn) => {
    const receipt = await messaging.receipt(conn.userId, frame.conversation_id, frame.type, frame.seq);
    if (frame.id) conn.sendFrame({ ...receipt, id: frame.id });
  };
}

function typing(messaging: MessagingService): FrameHandler<'typing'> {
  return (frame, conn) => messaging.typing(conn.userId, frame.conversation_id, frame.state);
}

function presenceSubscribe(presence: PresenceService, hub: Hub): FrameHandler<'presence_subscribe'> {
  return async (frame, conn) => {
    const visible = await presence.visibleTo(conn.userId, frame.user_ids);
    await Promise.all(visible.map((id) => hub.join(presenceChannel(id), conn)));
    for (const f of await presence.frames(visible)) conn.sendFrame({ ...f, id: frame.id });
    conn.sendFrame({ type: 'presence_subscribed', id: frame.id, user_ids: visible });
  };
}

function presenceUnsubscribe(hub: Hub): FrameHandler<'presence_unsubscribe'> {
  return async (frame, conn) => {
    for (const id of frame.user_ids) hub.leave(presenceChannel(id), conn);
    conn.sendFrame({ type: 'presence_subscribed', id: frame.id, user_ids: [] });
  };
}

/** In-band token refresh: the socket lives on past its first token's expiry. */
function reauthenticate(tokens: AccessTokens, onReauthenticated: (conn: Connection) => void): FrameHandler<'auth'> {
  return async (frame, conn) => {
    const verified = await tokens.verify(frame.token);
    if (verified.userId !== conn.userId) {
      conn.close(CloseCodes.forbidden, 'token is for another user');
      return;
    }
    conn.sessionId = verified.sessionId;
    conn.expiresAt = verified.expiresAt;
    conn.scope = verified.scope ?? null;
    onReauthenticated(conn);
    conn.sendFrame({ type: 'authenticated', id: frame.id, expires_at: new Date(verified.expiresAt * 1000).toISOString() });
  };
}

function relayCall(calls: CallService): (frame: CallClientFrame, conn: Connection) => Promise<void> {
  return (frame, conn) => calls.handle(conn.userId, frame);
}
