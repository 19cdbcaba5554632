import type { ConversationId } from '@parley/protocol';
import { isErrorCode } from '@parley/protocol';
import { Emitter } from './emitter.ts';
import { ParleyError } from './errors.ts';
import type { RestAuth } from './rest.ts';

/** What uploads need of `fetch` (binary bodies, response headers); the global `fetch` of browsers and Node fits. */
export type UploadFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: Blob | Uint8Array; signal?: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

/** Where an `Upload` is; `done`, `failed` and `cancelled` are final. */
export type UploadState = 'idle' | 'uploading' | 'paused' | 'done' | 'failed' | 'cancelled';

/** Events of an `Upload`: progress in bytes, state changes. */
export interface UploadEvents {
  /** Bytes the server has stored so far (after each chunk), of `total`. */
  progress: { sent: number; total: number };
  state: UploadState;
}

/** An upload: the conversation it is for, the file, and how to send it (chunk size, resuming an earlier upload). */
export interface UploadOptions {
  conversationId: ConversationId;
  file: Blob | Uint8Array;
  /** The file name shown to the members (a `File`'s own name by default). */
  name?: string;
  /** Bytes per PATCH request: progress is reported and a dropped connection costs at most this much (default 5 MiB). */
  chunkSize?: number;
  /**
   * The upload URL of an upload started earlier (`upload.url`, kept e.g. in
   * localStorage): the upload resumes from what the server has instead of
   * starting again, surviving a page reload.
   */
  url?: string;
  /** Attempts per chunk after network errors before the upload fails (default 5). */
  retries?: number;
}

const TUS = { 'tus-resumable': '1.0.0' };

/**
 * One file uploaded with the tus protocol into a conversation, in chunks,
 * with progress, pause, resume and cancel. `done` resolves with the
 * attachment id to put in a message's `attachments` once every byte is
 * stored; the server then processes the file (`pending` → `clean`, pushed as
 * `attachment` frames).
 *
 * @example
 * ```ts
 * const upload = client.upload(chat.id, fileInput.files[0]);
 * upload.on('progress', ({ sent, total }) => bar.value = sent / total);
 * localStorage.setItem('upload', upload.url ?? ''); // after the first progress event
 * const id = await upload.start(); // or upload.pause(), upload.resume(), upload.cancel()
 * await client.api.sendMessage(chat.id, { type: 'text', text: 'photo', client_msg_id: crypto.randomUUID(), attachments: [{ id }] });
 * ```
 */
export class Upload extends Emitter<UploadEvents> {
  /** The upload's URL once the server created it: keep it to resume after a reload. */
  url: string | null;
  /** The attachment id (the last segment of `url`). */
  id: string | null = null;
  state: UploadState = 'idle';
  /** The file name the members see. */
  readonly name: string;
  /** What is uploaded (kept by the outbox's UploadStore when a message waits for it). */
  readonly file: Blob | Uint8Array;
  private offset = 0;
  private readonly total: number;
  private abort: AbortController | null = null;
  private running: Promise<void> | null = null;
  /** Resolves with the attachment id once every byte is stored; rejects when the upload fails or is cancelled (not when paused). */
  readonly done: Promise<string>;
  private settle!: { resolve: (id: string) => void; reject: (err: ParleyError) => void };

  constructor(
    private readonly options: UploadOptions & { baseUrl: string; auth: RestAuth; fetch: UploadFetch },
  ) {
    super();
    this.total = options.file instanceof Uint8Array ? options.file.byteLength : options.file.size;
    this.file = options.file;
    this.name = this.fileName();
    this.url = options.url ?? null;
    if (this.url) this.id = this.url.split('/').pop() ?? null;
    this.done = new Promise<string>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // A caller that only listens to events must not see an unhandled rejection.
    this.done.catch(() => {});
  }

  /** Starts (or resumes) the upload; the same promise as `done`. */
  start(): Promise<string> {
    if (this.state !== 'done' && this.state !== 'cancelled' && this.state !== 'failed') {
      this.running ??= this.run().finally(() => {
        this.running = null;
      });
    }
    return this.done;
  }

  /** Stops sending; the bytes the server has are kept. `start()` (or `resume()`) goes on from there. */
  pause(): void {
    if (this.state !== 'uploading') return;
    this.setState('paused');
    this.abort?.abort();
  }

  resume(): Promise<string> {
    return this.start();
  }

  /** Stops and tells the server to forget the upload. */
  async cancel(): Promise<void> {
    if (this.state === 'done' || this.state === 'cancelled') return;
    const wasRunning = this.running;
    this.setState('cancelled');
    this.abort?.abort();
    await wasRunning;
    this.settle.reject(new ParleyError('closed', 'the upload was cancelled'));
    if (this.url) await this.request('DELETE', this.url).catch(() => {});
  }

  private async run(): Promise<void> {
    this.setState('uploading');
    try {
      if (this.url) {
        const head = await this.request('HEAD', this.url);
        this.offset = Number(head.headers.get('upload-offset') ?? 0);
      } else {
        await this.create();
      }
      this.emit('progress', { sent: this.offset, total: this.total });
      const retries = this.options.retries ?? 5;
      let failures = 0;
      while (this.offset < this.total) {
        if (this.state !== 'uploading') return; // paused or cancelled: done settles on resume or cancel
        try {
          await this.sendChunk();
          failures = 0;
        } catch (err) {
          if (this.state !== 'uploading') return;
          if (!(err instanceof ParleyError) || !err.retryable || ++failures > retries) throw err;
          await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** failures)));
          // Where the server got to before the connection dropped: go on from there.
          const head = await this.request('HEAD', this.url!);
          this.offset = Number(head.headers.get('upload-offset') ?? this.offset);
        }
      }
      this.setState('done');
      this.settle.resolve(this.id!);
    } catch (err) {
      if (this.state !== 'uploading') return;
      this.setState('failed');
      this.settle.reject(err instanceof ParleyError ? err : new ParleyError('network_error', String(err), { cause: err }));
    }
  }

  private async create(): Promise<void> {
    const meta: Record<string, string> = { conversation_id: this.options.conversationId, filename: this.name };
    const type = this.options.file instanceof Blob ? this.options.file.type : '';
    if (type) meta.filetype = type;
    const res = await this.request('POST', `${this.options.baseUrl.replace(/\/+$/, '')}/api/v1/uploads`, {
      'upload-length': String(this.total),
      'upload-metadata': Object.entries(meta).map(([k, v]) => `${k} ${base64(v)}`).join(','),
    });
    const location = res.headers.get('location');
    if (!location) throw new ParleyError('bad_response', 'the server created no upload URL');
    this.url = new URL(location, this.options.baseUrl).toString();
    this.id = this.url.split('/').pop()!;
  }

  private async sendChunk(): Promise<void> {
    const end = Math.min(this.total, this.offset + (this.options.chunkSize ?? 5 * 1024 * 1024));
    const file = this.options.file;
    const body = file instanceof Uint8Array ? file.subarray(this.offset, end) : file.slice(this.offset, end);
    const res = await this.request(
      'PATCH',
      this.url!,
      { 'upload-offset': String(this.offset), 'content-type': 'application/offset+octet-stream' },
      body,
    );
    this.offset = Number(res.headers.get('upload-offset') ?? end);
    this.emit('progress', { sent: this.offset, total: this.total });
  }

  private fileName(): string {
    if (this.options.name) return this.options.name;
    const file = this.options.file as { name?: unknown };
    return typeof file.name === 'string' && file.name ? file.name : 'file';
  }

  /** One tus request with the bearer token (renewed once on 401), errors as ParleyError. */
  private async request(method: string, url: string, headers: Record<string, string> = {}, body?: Blob | Uint8Array) {
    for (let attempt = 0; ; attempt++) {
      const token = await this.options.auth.accessToken();
      this.abort = new AbortController();
      let res;
      try {
        res = await this.options.fetch(url, {
          method,
          headers: { ...TUS, ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body,
          signal: this.abort.signal,
        });
      } catch (err) {
        throw new ParleyError('network_error', `upload ${method} failed: ${(err as Error).message}`, { cause: err });
      }
      if (res.status < 300) return res;
      const text = await res.text().catch(() => '');
      let code: string = res.status === 404 ? 'not_found' : 'bad_response';
      let message = text || `HTTP ${res.status}`;
      let retryAfter: number | undefined;
      try {
        const parsed = JSON.parse(text) as { error: { code: string; message: string; retry_after?: number } };
        code = parsed.error.code;
        message = parsed.error.message;
        retryAfter = parsed.error.retry_after;
      } catch {
        // tus answered in plain text
      }
      if (res.status === 401 && attempt === 0 && (await this.options.auth.refresh())) continue;
      throw new ParleyError(isErrorCode(code) ? code : 'bad_response', message, { status: res.status, retryAfter });
    }
  }

  private setState(state: UploadState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
