import { isCallFrame, type ClientFrame, type MessageView } from '@parley/protocol';
import { presenceChannel } from '../bus/bus.ts';
import type { Connection } from './connection.ts';
import type { GatewayDeps } from './ws-gateway.ts';

// A batched sync hands the same entry objects to every caller that needed
// them: each is serialised once. Only sync replies use these, hence `replayed`.
const messageFrames = new WeakMap<MessageView, string>();
function messageFrame(entry: MessageView): string {
  let payload = messageFrames.get(entry);
  if (payload === undefined) messageFrames.set(entry, (payload = JSON.stringify({ type: 'message', ...entry, replayed: true })));
  return payload;
}

/** Turns one valid client frame into a capability call and writes the reply. */
export async function handleFrame(frame: ClientFrame, conn: Connection, deps: GatewayDeps): Promise<void> {
  const { messaging, config, presence, hub, metrics, calls } = deps;
  if (isCallFrame(frame)) return calls.handle(conn.userId, frame);
  switch (frame.type) {
    case 'send_message': {
      const { entry, duplicate } = await messaging.send(conn.userId, frame.conversation_id, frame.message);
      conn.sendFrame({
        type: 'ack',
        id: frame.id,
        conversation_id: entry.conversation_id,
        message_id: entry.message_id,
        seq: entry.seq,
        created_at: entry.created_at,
        duplicate,
      });
      if (!duplicate) metrics.messagesSent.inc();
      return;
    }
    case 'sync': {
      const result = await messaging.sync(conn.userId, frame.cursors, frame.limit ?? config.ws.syncPageSize);
      for (const entry of result.entries) conn.send(messageFrame(entry));
      conn.sendFrame({ type: 'synced', id: frame.id, limited: result.limited, cursors: result.cursors, removed: result.removed });
      return;
    }
    case 'delivered':
    case 'read': {
      const receipt = await messaging.receipt(conn.userId, frame.conversation_id, frame.type, frame.seq);
      if (frame.id) conn.sendFrame({ ...receipt, id: frame.id });
      return;
    }
    case 'typing':
      await messaging.typing(conn.userId, frame.conversation_id, frame.state);
      return;
    case 'presence_subscribe': {
      const visible = await presence.visibleTo(conn.userId, frame.user_ids);
      await Promise.all(visible.map((id) => hub.join(presenceChannel(id), conn)));
      for (const f of await presence.frames(visible)) conn.sendFrame({ ...f, id: frame.id });
      conn.sendFrame({ type: 'presence_subscribed', id: frame.id, user_ids: visible });
      return;
    }
    case 'presence_unsubscribe':
      for (const id of frame.user_ids) hub.leave(presenceChannel(id), conn);
      conn.sendFrame({ type: 'presence_subscribed', id: frame.id, user_ids: [] });
      return;
    case 'ping':
      conn.sendFrame({ type: 'pong', id: frame.id });
      return;
  }
}
