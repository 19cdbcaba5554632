import { IndexedDbOutboxStore, IndexedDbUploadStore, MemoryOutboxStore, MemoryUploadStore, ParleyClient, type OutboxStore, type SessionData, type UploadStore } from '@parley/sdk';

/**
 * The one client of the page, talking to the server that served it. Unsent
 * messages wait in IndexedDB, so a reload or a closed tab loses none (the
 * SDK's `FileOutboxStore` is for Node and is never imported here).
 */
export function createClient(session: SessionData | null): ParleyClient {
  return new ParleyClient({
    url: window.location.origin,
    outbox: outboxStore(),
    // The files of messages sent while they upload, so that a reload resumes them.
    uploads: uploadStore(),
    session,
    // Tabs share one session: spreading their renewal times lets the first one renew
    // and the others take its new tokens from storage before their own turn comes.
    refreshMarginMs: 30_000 + Math.floor(Math.random() * 90_000),
  });
}

function outboxStore(): OutboxStore {
  return typeof indexedDB === 'undefined' ? new MemoryOutboxStore() : new IndexedDbOutboxStore('parley-web');
}

function uploadStore(): UploadStore {
  return typeof indexedDB === 'undefined' ? new MemoryUploadStore() : new IndexedDbUploadStore('parley-web-uploads');
}
