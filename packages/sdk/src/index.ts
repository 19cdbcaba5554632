/**
 * @parley/sdk — the Parley client for browsers and Node. The Node-only file
 * stores are in `@parley/sdk/node`.
 *
 * @example
 * ```ts
 * import { ParleyClient } from '@parley/sdk';
 * import { FileOutboxStore } from '@parley/sdk/node';
 *
 * const client = new ParleyClient({ url: 'http://localhost:8080', outbox: new FileOutboxStore('outbox.json') });
 * client.on('message', ({ entry }) => console.log(entry.seq, entry.message));
 * await client.login({ username: 'alice', password: 'correct horse' });
 * client.connect();
 * ```
 */
export { ParleyClient, type ParleyClientEvents, type ParleyClientOptions, type PendingSend, type SendAck } from './client.ts';
export { isSystemEntry, isTextEntry, type SystemEntry, type TextEntry } from './entries.ts';
export type { StartFrom } from './cursor-keeper.ts';
export type { CursorStore } from './cursor-stores/cursor-store.ts';
export { MemoryCursorStore } from './cursor-stores/memory-cursor-store.ts';
export { IndexedDbCursorStore } from './cursor-stores/indexeddb-cursor-store.ts';
export { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
export type { ConnectionEvents, ConnectionState } from './connection.ts';
export type { ConversationSnapshot, MessageStatus, StoreEvents } from './conversation-store.ts';
export { Emitter, type Listener } from './emitter.ts';
export { Calls, MAX_MESH_PEERS, type CallsEvents } from './calls/calls.ts';
export { CallSession, type CallSessionEvents, type CallState } from './calls/call-session.ts';
export { MeshCall, type MeshCallEvents, type MeshParticipant } from './calls/mesh-call.ts';
export { ParleyError, type ClientErrorCode } from './errors.ts';
export type { OutboxEvent } from './outbox.ts';
export type { OutboxEntry, OutboxStore } from './outbox-stores/outbox-store.ts';
export { MemoryOutboxStore } from './outbox-stores/memory-outbox-store.ts';
export { IndexedDbOutboxStore } from './outbox-stores/indexeddb-outbox-store.ts';
export type { StoredUpload, UploadStore } from './upload-stores/upload-store.ts';
export { MemoryUploadStore } from './upload-stores/memory-upload-store.ts';
export { IndexedDbUploadStore } from './upload-stores/indexeddb-upload-store.ts';
export type { PresenceInfo } from './presence.ts';
export { Upload, type UploadEvents, type UploadFetch, type UploadOptions, type UploadState } from './uploads.ts';
export {
  RestClient,
  type FetchInit,
  type FetchLike,
  type FetchResponseLike,
  type HistoryPage,
  type RestAuth,
  type RestClientOptions,
} from './rest.ts';
export type { LogoutReason, SessionData } from './session.ts';
export { ClientCloseCodes, type WebSocketConstructor, type WebSocketLike } from './socket.ts';
