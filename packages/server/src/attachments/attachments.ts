import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../store/database.ts';
import type { Notifier } from '../bus/notifier.ts';
import type { Audit } from '../audit.ts';
import type { RateLimiter } from '../limits/rate-limiter.ts';
import type { BlobStore } from './storage/blob-store.ts';
import { FsBlobStore } from './storage/fs-blob-store.ts';
import { S3BlobStore } from './storage/s3-blob-store.ts';
import { AttachmentsRepo } from './attachments-repo.ts';
import { AttachmentsService } from './attachments-service.ts';
import { AttachmentProcessor } from './processor.ts';
import { AttachmentWorker } from './attachment-worker.ts';
import { ClamdScanner } from './clamd.ts';
import { TusBlobDataStore } from './tus-store.ts';
import { registerUploadRoutes } from './upload-routes.ts';
import { registerAttachmentRoutes } from './serve-routes.ts';

export interface Attachments {
  service: AttachmentsService;
  worker: AttachmentWorker;
  store: BlobStore;
  /** The upload (tus) and download routes, in the authenticated scope. */
  register(scope: FastifyInstance): Promise<void>;
  close(): Promise<void>;
}

/** What the attachments capability reports (to the Prometheus metrics). */
export interface AttachmentsObserver {
  /** An upload creation: `accepted`, or the error code it was refused with. */
  creation(result: string): void;
  /** Bytes of an upload stored. */
  received(bytes: number): void;
  /** A file's processing ended; `seconds` from its last byte to its final state. */
  processed(status: 'clean' | 'blocked' | 'failed', seconds: number | null): void;
}

/** The attachments capability wired from configuration: blob store, scanner, pipeline, routes. */
export function createAttachments(deps: {
  config: Pick<Config, 'attachments' | 'instanceId' | 'limits' | 'publicOrigins'>;
  db: Database;
  notifier: Notifier;
  audit: Audit;
  limiter: RateLimiter;
  log: Logger;
  /** Use this blob store instead of the configured one (tests). */
  store?: BlobStore;
  observer?: AttachmentsObserver;
}): Attachments {
  const observer = deps.observer;
  const { attachments: config } = deps.config;
  const store: BlobStore = deps.store ?? (config.storage === 's3' ? new S3BlobStore(config.s3!) : new FsBlobStore(config.dir));
  const repo = new AttachmentsRepo(deps.db);
  const scanner = config.scan === 'clamav' && config.clamd ? new ClamdScanner(config.clamd, config.clamdTimeout * 1000) : null;
  const processor = new AttachmentProcessor(store, { allowedTypes: new Set(config.types), scanner });
  const log = deps.log.child({ component: 'attachments' });
  const service = new AttachmentsService(deps.db, repo, store, processor, deps.notifier, deps.audit, log);
  const worker = new AttachmentWorker(
    repo,
    processor,
    {
      finished: (row, detail) => {
        if (row.status === 'clean' || row.status === 'blocked' || row.status === 'failed') {
          // Both times are the database's clock.
          const seconds = row.completed_at && row.processed_at ? (row.processed_at.getTime() - row.completed_at.getTime()) / 1000 : null;
          observer?.processed(row.status, seconds);
        }
        return service.finished(row, detail);
      },
      collect: (row) => service.remove(row),
    },
    log,
    {
      instanceId: deps.config.instanceId,
      concurrency: config.workers,
      leaseSeconds: config.leaseTtl,
      retryMaxSeconds: config.retryMax,
      pollMs: config.pollInterval * 1000,
      maxAttempts: 5,
      unreferencedTtlSeconds: config.unreferencedTtl,
    },
  );
  const datastore = new TusBlobDataStore(store, repo, () => worker.kick(), (bytes) => observer?.received(bytes));
  return {
    service,
    worker,
    store,
    async register(scope) {
      await scope.register(async (uploads) => {
        registerUploadRoutes(uploads, {
          datastore,
          repo,
          limiter: deps.limiter,
          audit: deps.audit,
          onCreation: (result) => observer?.creation(result),
          policy: { maxBytes: config.maxBytes, quotaBytes: config.quotaBytes, scan: config.scan, limit: deps.config.limits.uploads, origins: deps.config.publicOrigins },
        });
      });
      registerAttachmentRoutes(scope, service, { inlineTypes: new Set(config.inlineTypes) });
    },
    async close() {
      await worker.stop();
      if (!deps.store && store instanceof S3BlobStore) store.close();
    },
  };
}
