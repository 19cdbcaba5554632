import type { WebSocket } from 'ws';
import type { Connection } from './connection.ts';

/** What the gateway does with an authenticated socket's events, given its Connection. */
export interface SocketEvents {
  message(conn: Connection, data: WebSocket.RawData, isBinary: boolean): void;
  close(conn: Connection): void;
  error(conn: Connection, err: Error): void;
}

const CONNECTION = Symbol('parley.connection');
type Attached = WebSocket & { [CONNECTION]: Connection };
const connectionOf = (ws: WebSocket): Connection => (ws as Attached)[CONNECTION];

/**
 * Wires sockets to `events` with one set of listener functions shared by all
 * of them, each finding its Connection on the socket (ws calls a listener with
 * the socket as `this`). Closures per socket — four listeners and the scope
 * they share — were a few hundred bytes of every idle connection's heap (#17).
 * Returns the function that wires one socket.
 */
export function socketListeners(events: SocketEvents): (ws: WebSocket, conn: Connection) => void {
  function onMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    events.message(connectionOf(this), data, isBinary);
  }
  function onClose(this: WebSocket): void {
    events.close(connectionOf(this));
  }
  function onError(this: WebSocket, err: Error): void {
    events.error(connectionOf(this), err);
  }
  function onPong(this: WebSocket): void {
    connectionOf(this).alive = true;
  }
  return (ws, conn) => {
    (ws as Attached)[CONNECTION] = conn;
    // Without an error listener an oversized frame would throw and kill the process;
    // ws then closes the socket itself (1009 for too large).
    ws.on('error', onError);
    ws.on('pong', onPong);
    ws.on('message', onMessage);
    ws.on('close', onClose);
  };
}
