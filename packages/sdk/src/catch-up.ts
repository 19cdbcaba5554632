import {
  MAX_PAGE,
  MAX_SYNC_CURSORS,
  type ConversationId,
  type MessageView,
  type Seq,
  type ServerFrame,
} from '@parley/protocol';
import { Backoff } from './backoff.ts';
import type { ConnectionState } from './connection.ts';
import type { ConversationStore } from './conversation-store.ts';
import { ParleyError, asParleyError } from './errors.ts';
import type { RestClient } from './rest.ts';
import type { OutgoingFrame } from './socket.ts';

export interface CatchUpOptions {
  transport: { readonly state: ConnectionState; request(frame: OutgoingFrame): Promise<ServerFrame> };
  api: Pick<RestClient, 'history' | 'listConversations' | 'getConversation'>;
  store: ConversationStore;
  /** Takes an entry from any source (sync replay, backfill) the way a pushed one is taken. */
  ingest: (entry: MessageView) => void;
  /** Told when a resume's conversation list has been merged (or failed): conversations without a saved start begin there. */
  onListed?: () => void;
  onError: (err: ParleyError) => void;
  /** How long a gap may stay open before it is fetched, ms: a late push often closes it first (default 200). */
  gapFillDelayMs?: number;
  /** Entries per `loadOlder` page (default 50). */
  pageSize?: number;
  random?: () => number;
}

const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * Everything that brings the local store level with the server: `sync` by
 * cursor on every (re)connect, repeated while the server says `limited`; a
 * REST refresh of the conversation list, which finds conversations created
 * while offline; backfill of gaps over REST history; and paging backwards.
 */
export class CatchUp {
  private generation = 0;
  private syncing = false;
  private readonly fillTimers = new Map<ConversationId, ReturnType<typeof setTimeout>>();
  private readonly filling = new Set<ConversationId>();
  private readonly older = new Map<ConversationId, Promise<MessageView[]>>();
  private readonly fetchingViews = new Set<ConversationId>();
  /** Waits in progress (a rate-limited sync), ended early by reset(). */
  private readonly sleeping = new Set<() => void>();
  private readonly fillBackoff: Backoff;

  constructor(private readonly options: CatchUpOptions) {
    this.fillBackoff = new Backoff({ baseMs: 1000, capMs: 30_000, random: options.random ?? Math.random });
  }

  /** True while a resume is replaying. */
  get isSyncing(): boolean {
    return this.syncing;
  }

  /** On every `ready`: resume all known conversations by cursor, refresh the list, then fill what is still missing. */
  async resume(): Promise<void> {
    const generation = ++this.generation;
    this.syncing = true;
    try {
      const list = this.refreshList()
        .catch((err: unknown) => this.options.onError(asParleyError(err)))
        .finally(() => {
          if (generation === this.generation) this.options.onListed?.();
        });
      await this.syncAll(generation);
      await list;
    } finally {
      if (generation === this.generation) this.syncing = false;
    }
    if (generation !== this.generation) return;
    for (const id of this.options.store.ids()) this.scheduleFill(id, 0);
  }

  /** Fetches the conversation list and merges it: new conversations appear, known ones get fresh metadata. */
  async refreshList(): Promise<void> {
    for (const view of await this.options.api.listConversations()) this.options.store.upsertView(view);
  }

  /** Fetches the view of a conversation seen only in a pushed entry. */
  ensureView(id: ConversationId): void {
    if (!this.options.store.hasView(id)) this.refreshView(id);
  }

  /** Fetches a conversation's view again (its membership changed), once at a time. */
  refreshView(id: ConversationId): void {
    if (this.fetchingViews.has(id)) return;
    this.fetchingViews.add(id);
    this.options.api
      .getConversation(id)
      .then((view) => {
        this.options.store.upsertView(view);
        this.scheduleFill(id);
      })
      .catch((err: unknown) => {
        const error = asParleyError(err);
        if (error.code === 'conversation_not_found') this.options.store.remove(id);
        else this.options.onError(error);
      })
      .finally(() => this.fetchingViews.delete(id));
  }

  /** Fetches a conversation's missing entries after `delayMs`, unless they arrive first. */
  scheduleFill(id: ConversationId, delayMs = this.options.gapFillDelayMs ?? 200): void {
    if (this.fillTimers.has(id) || this.filling.has(id) || !this.options.store.log(id)?.gap()) return;
    this.fillTimers.set(
      id,
      setTimeout(() => {
        this.fillTimers.delete(id);
        void this.fill(id);
      }, delayMs),
    );
  }

  /** Loads the page of history just older than what is held; resolves with the entries that were new. */
  loadOlder(id: ConversationId, limit = this.options.pageSize ?? 50): Promise<MessageView[]> {
    const running = this.older.get(id);
    if (running) return running;
    const log = this.options.store.log(id);
    if (!log || !log.hasOlder) return Promise.resolve([]);
    const page = this.options.api
      .history(id, { before_seq: log.olderBefore, limit: Math.min(limit, MAX_PAGE) })
      .then((res) => this.options.store.addOlder(id, res.messages, res.has_more))
      .finally(() => this.older.delete(id));
    this.older.set(id, page);
    return page;
  }

  /** Stops timers and abandons work in progress (logout, close). */
  reset(): void {
    this.generation++;
    this.syncing = false;
    for (const timer of this.fillTimers.values()) clearTimeout(timer);
    this.fillTimers.clear();
    for (const wake of this.sleeping) wake();
    this.sleeping.clear();
  }

  /** Resolves after `ms`, or at once when reset() abandons the work in progress. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.add(wake);
    });
  }

  private async syncAll(generation: number): Promise<void> {
    const ids = this.options.store.ids();
    for (let i = 0; i < ids.length; i += MAX_SYNC_CURSORS) {
      if (!(await this.syncChunk(ids.slice(i, i + MAX_SYNC_CURSORS), generation))) return;
    }
  }

  /** Pages one chunk of cursors to the end; false when the connection went away. */
  private async syncChunk(ids: ConversationId[], generation: number): Promise<boolean> {
    const { store, transport } = this.options;
    let cursors = pick(store.cursors(), ids);
    for (let failures = 0; Object.keys(cursors).length > 0; ) {
      if (generation !== this.generation || transport.state !== 'connected') return false;
      let reply: ServerFrame;
      try {
        reply = await transport.request({ type: 'sync', cursors });
      } catch (err) {
        const error = asParleyError(err);
        if (error.code === 'disconnected') return false;
        if (error.code === 'rate_limited') {
          // The server budgets sync per user by cursors: wait as told and ask again. Not a failure:
          // a client with many conversations meets the budget on every resume.
          await this.sleep((error.retryAfter ?? 1) * 1000);
          continue;
        }
        if (++failures > 3) {
          this.options.onError(error);
          return true;
        }
        // Servers before `synced.removed` refused the whole sync when one conversation
        // was no longer ours: find it, drop it, go again.
        if (error.code === 'conversation_not_found') await this.dropLost(Object.keys(cursors), error.message);
        cursors = pick(cursors, Object.keys(cursors).filter((id) => store.has(id)));
        continue;
      }
      if (reply.type !== 'synced') return true;
      // Conversations we are no longer in: the server skipped them.
      for (const id of reply.removed ?? []) store.remove(id);
      for (const [id, seq] of Object.entries(reply.cursors)) store.log(id)?.observeLastSeq(seq);
      if (!reply.limited) return true;
      cursors = pick(reply.cursors, Object.keys(reply.cursors).filter((id) => store.has(id)));
    }
    return true;
  }

  /** Removes the conversations the server no longer lets this user see. */
  private async dropLost(ids: ConversationId[], message: string): Promise<void> {
    // The error names the first one; check it first, and every one only if that does not explain it.
    const named = UUID_IN_TEXT.exec(message)?.[0];
    const suspects = named && ids.includes(named) ? [named] : ids;
    for (const id of suspects) {
      try {
        await this.options.api.getConversation(id);
      } catch (err) {
        if (err instanceof ParleyError && err.code === 'conversation_not_found') this.options.store.remove(id);
      }
    }
  }

  private async fill(id: ConversationId): Promise<void> {
    // A resume under way replays this gap itself, and checks every log when it ends.
    if (this.syncing || this.filling.has(id)) return;
    this.filling.add(id);
    const generation = this.generation;
    try {
      for (;;) {
        const gap = this.options.store.log(id)?.gap();
        if (!gap || generation !== this.generation) break;
        const page = await this.options.api.history(id, {
          after_seq: gap.afterSeq,
          limit: Math.min(MAX_PAGE, gap.count),
        });
        const before = this.options.store.log(id)?.cursor ?? 0;
        for (const entry of page.messages) this.options.ingest(entry);
        // Nothing new below the known last seq: stop rather than ask again forever.
        if ((this.options.store.log(id)?.cursor ?? 0) <= before) break;
      }
      this.fillBackoff.reset();
    } catch (err) {
      const error = asParleyError(err);
      this.filling.delete(id);
      if (error.code === 'conversation_not_found') {
        this.options.store.remove(id);
        return;
      }
      this.options.onError(error);
      this.scheduleFill(id, this.fillBackoff.next());
    } finally {
      this.filling.delete(id);
    }
  }
}

function pick(cursors: Record<ConversationId, Seq>, ids: ConversationId[]): Record<ConversationId, Seq> {
  const out: Record<ConversationId, Seq> = {};
  for (const id of ids) if (cursors[id] !== undefined) out[id] = cursors[id];
  return out;
}
