/**
 * @parley/sdk/node — the parts of the SDK that need Node.js (`node:fs`,
 * `node:crypto`): the file-backed outbox and cursor stores, and
 * `verifyEventSignature` for integrations receiving signed event deliveries.
 * Kept out of the main entry point so a browser bundle never sees a Node module.
 *
 * @example
 * ```ts
 * import { ParleyClient } from '@parley/sdk';
 * import { FileCursorStore, FileOutboxStore } from '@parley/sdk/node';
 *
 * const client = new ParleyClient({
 *   url: 'http://localhost:8080',
 *   outbox: new FileOutboxStore('./data/outbox.json'),
 *   cursors: new FileCursorStore('./data/cursors.json'),
 * });
 * ```
 */
export { FileOutboxStore } from './outbox-stores/file-outbox-store.ts';
export { FileCursorStore } from './cursor-stores/file-cursor-store.ts';
export { verifyEventSignature, type EventSignatureInput } from './event-signature.ts';
