import { REPLY_EXCERPT_LENGTH } from '@parley/protocol';
import type { AuthResponse, ConversationId, LoginBody, MemberView, MessageId, MessageView, PinsResponse, ReadyFrame, ThreadPage, RegisterBody, SearchQuery, SearchResponse, Seq, ServerFrame, UpdateConversationBody, UpdateProfileBody, UserId, UserView } from '@parley/protocol';
import { MessageActions } from './message-actions.ts';
import { Backoff, DEFAULT_BACKOFF } from './backoff.ts';
import { CatchUp } from './catch-up.ts';
import { toWsUrl, type ParleyClientEvents, type ParleyClientOptions } from './client-options.ts';
import { Connection, type ConnectionState } from './connection.ts';
import { ConversationStore, type ConversationSnapshot, type MessageStatus } from './conversation-store.ts';
import type { Pin } from './pins-threads.ts';
import { Emitter } from './emitter.ts';
import { ParleyError, asParleyError } from './errors.ts';
import { Outbox, type OutboxEvent } from './outbox.ts';
import { Upload, type UploadFetch, type UploadOptions } from './uploads.ts';
import { MemoryOutboxStore } from './outbox-stores/memory-outbox-store.ts';
import { MemoryUploadStore } from './upload-stores/memory-upload-store.ts';
import { UploadSends } from './upload-sends.ts';
import type { OutboxEntry } from './outbox-stores/outbox-store.ts';
import { Presence, type PresenceInfo } from './presence.ts';
import { Receipts } from './receipts.ts';
import { RestClient } from './rest.ts';
import { Session, type SessionData } from './session.ts';
import type { WebSocketConstructor } from './socket.ts';
import { TokenKeeper } from './token-keeper.ts';
import { Typing } from './typing.ts';
import { UserDirectory } from './users.ts';
import { Calls } from './calls/calls.ts';
import { CursorKeeper } from './cursor-keeper.ts';

export type { ParleyClientEvents, ParleyClientOptions } from './client-options.ts';

/** What `send` resolves with: where the server stored the message. `duplicate` when that `client_msg_id` was stored before. */
export interface SendAck {
  conversation_id: ConversationId;
  client_msg_id: string;
  message_id: string;
  seq: Seq;
  created_at: string;
  duplicate: boolean;
}

/** The pending entry `send` returns, which is also a promise of the server's ack. */
export type PendingSend = OutboxEntry & PromiseLike<SendAck> & { readonly ack: Promise<SendAck> };

interface AckWaiter {
  ack: Promise<SendAck>;
  settle: (err: ParleyError | null, value?: SendAck) => void;
}

/**
 * The Parley client: one object for the session, the socket, the local
 * store of conversations and messages, the outbox, receipts, typing and
 * presence. Works in browsers and in Node.
 *
 * @example
 * ```ts
 * const client = new ParleyClient({ url: 'http://localhost:8080', session: saved }); // global WebSocket and fetch
 * client.on('session', (s) => save(s));
 * client.on('message', ({ conversationId, entry }) => render(conversationId, entry));
 * if (!client.user) await client.login({ username: 'alice', password: 'correct horse' });
 * client.connect();
 * const bob = (await client.searchUsers('bob'))[0]!;
 * const chat = await client.createDirect(bob.id);
 * client.send(chat.id, 'hi bob'); // returns the pending entry at once
 * ```
 */
export class ParleyClient extends Emitter<ParleyClientEvents> {
  /** The REST API, for what the client has no shortcut for. */
  readonly api: RestClient;
  private readonly session: Session;
  private readonly connection: Connection;
  private readonly store = new ConversationStore();
  private readonly outbox: Outbox;
  private readonly uploadSends: UploadSends;
  private readonly actions: MessageActions;
  private readonly catchUp: CatchUp;
  private readonly receipts: Receipts;
  private readonly typingState: Typing;
  private readonly presence: Presence;
  private readonly tokens: TokenKeeper;
  private readonly users: UserDirectory;
  private userId: UserId | null = null;
  private callsManager: Calls | null = null;
  private readonly rtc: ParleyClientOptions['rtc'];
  private readonly uuid: () => string;
  private readonly connectWaiters = new Set<(err?: ParleyError) => void>();
  /** True from `ready` until the conversation list it asks for is merged: `connected()` waits for both. */
  private listing = false;
  private readonly cursorKeeper: CursorKeeper | null;
  /** Where conversations start (saved or chosen cursors), once loaded; null when every one starts at its newest entry. */
  private starts: Record<ConversationId, Seq> | null = null;
  private wantConnected = false;
  /** Set while signed in with a bot token: what renews the access token. */
  private botToken: string | null = null;
  private readonly ackWaiters = new Map<string, AckWaiter>();
  private readonly uploadWith: { baseUrl: string; fetch: UploadFetch };

  constructor(options: ParleyClientOptions) {
    super();
    const WebSocketImpl = options.WebSocket ?? (globalThis.WebSocket as WebSocketConstructor | undefined);
    const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (!WebSocketImpl) throw new TypeError('no WebSocket implementation: pass options.WebSocket (in Node, from the ws package)');
    if (!fetchImpl) throw new TypeError('no fetch implementation: pass options.fetch');
    this.rtc = options.rtc;
    this.uuid = options.randomUUID ?? (() => crypto.randomUUID());
    const random = options.random ?? Math.random;
    const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    const onError = (err: ParleyError) => this.emit('error', err);

    this.api = new RestClient({ baseUrl: options.url, fetch: fetchImpl, timeoutMs: requestTimeoutMs });
    this.uploadWith = { baseUrl: options.url, fetch: fetchImpl as unknown as UploadFetch };
    this.session = new Session({
      // A bot has no refresh token: it presents its bot token again (a revoked one ends the session).
      refresh: (token) => (this.botToken ? this.botSession(this.botToken) : this.api.refresh(token)),
      refreshMarginMs: options.refreshMarginMs,
    });
    this.api.auth = this.session;
    this.connection = new Connection({
      url: options.wsUrl ?? toWsUrl(options.url),
      WebSocket: WebSocketImpl,
      getToken: () => this.session.accessToken(),
      backoff: new Backoff({
        baseMs: options.reconnect?.baseMs ?? DEFAULT_BACKOFF.baseMs,
        capMs: options.reconnect?.capMs ?? DEFAULT_BACKOFF.capMs,
        random,
      }),
      rateLimitedDelayMs: options.reconnect?.rateLimitedDelayMs,
      requestTimeoutMs,
      authMode: options.authMode,
    });
    this.outbox = new Outbox({
      store: options.outbox ?? new MemoryOutboxStore(),
      transport: this.connection,
      backoff: new Backoff({ baseMs: 1000, capMs: 30_000, random }),
      randomUUID: options.randomUUID,
    });
    this.uploadSends = new UploadSends({
      store: options.uploads ?? new MemoryUploadStore(),
      outbox: this.outbox,
      upload: (conversationId, file, uploadOptions) => this.upload(conversationId, file, uploadOptions),
      onError,
    });
    this.actions = new MessageActions({
      store: this.store,
      request: (frame) => this.connection.request(frame),
      me: () => this.userId,
      randomUUID: this.uuid,
      ingest: (entry) => this.ingest(entry),
    });
    this.catchUp = new CatchUp({
      transport: this.connection,
      api: this.api,
      store: this.store,
      ingest: (entry) => this.ingest(entry, true),
      onError,
      onListed: () => this.onListed(),
      gapFillDelayMs: options.gapFillDelayMs,
      pageSize: options.historyPageSize,
      random,
    });
    this.receipts = new Receipts({ transport: this.connection, store: this.store, onError, deliveredDelayMs: options.deliveredDelayMs });
    this.typingState = new Typing({ transport: this.connection, throttleMs: options.typingThrottleMs });
    this.presence = new Presence({ transport: this.connection });
    this.tokens = new TokenKeeper({
      session: this.session,
      connection: this.connection,
      api: this.api,
      backoff: new Backoff({ baseMs: 1000, capMs: 60_000, random }),
      onError,
    });
    this.users = new UserDirectory({
      fetchUser: (id) => this.api.getUser(id),
      members: () => this.store.members(),
      onLoaded: (users) => this.emit('users', users),
    });
    const startFrom = options.startFrom ?? 'saved';
    this.cursorKeeper =
      options.cursors || typeof startFrom === 'object'
        ? new CursorKeeper(options.cursors ?? { load: async () => ({}), save: async () => {}, delete: async () => {} }, startFrom, onError)
        : null;
    this.wire();
    if (options.session) this.session.set(options.session);
  }

  /** `disconnected`, `connecting` or `connected`; each change is a `state` event. */
  get state(): ConnectionState {
    return this.connection.state;
  }

  /** The signed-in user, or null. */
  get user(): UserView | null {
    return this.session.user;
  }

  /** The current tokens (what the `session` event hands over), or null. */
  get sessionData(): SessionData | null {
    return this.session.data;
  }

  // --- Session ---------------------------------------------------------------

  /** Creates an account and signs in as it. */
  async register(body: RegisterBody): Promise<UserView> {
    this.botToken = null;
    return this.session.accept(await this.api.register(body)).user;
  }

  async login(body: LoginBody): Promise<UserView> {
    this.botToken = null;
    return this.session.accept(await this.api.login(body)).user;
  }

  /** Changes this user's display name; `user` and the `session` event carry the new one. */
  async updateProfile(body: UpdateProfileBody): Promise<UserView> {
    const user = await this.api.updateMe(body);
    this.session.updateUser(user);
    return user;
  }

  /**
   * Changes the password. The server ends every session of this user (other
   * devices are signed out) and starts a new one here, which this client
   * takes over: the socket reconnects on the new tokens.
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.session.replaceWith(() => this.api.changePassword({ current_password: currentPassword, new_password: newPassword }));
  }

  /**
   * Signs in as a bot with a token from `POST /api/v1/bots/:id/tokens` (no
   * username or password). The client renews its access token with the bot
   * token; once the token is revoked the session ends (`logged_out`).
   *
   * @example
   * ```ts
   * await client.loginWithBotToken(process.env.PARLEY_BOT_TOKEN!);
   * client.connect();
   * ```
   */
  async loginWithBotToken(token: string): Promise<UserView> {
    const auth = await this.botSession(token);
    this.botToken = token;
    return this.session.accept(auth).user;
  }

  private async botSession(token: string): Promise<AuthResponse> {
    return { ...(await this.api.botLogin(token)), refresh_token: '' };
  }

  /** Revokes the session on the server, disconnects, and forgets the tokens and local state. */
  async logout(): Promise<void> {
    const data = this.session.data;
    this.disconnect();
    this.session.clear('logout');
    this.botToken = null;
    // A bot's session has no refresh token to revoke (revoke the bot token itself to end it everywhere).
    if (data?.refresh_token) await this.api.logout(data.refresh_token).catch((err: unknown) => this.emit('error', asParleyError(err)));
  }

  // --- Connection -------------------------------------------------------------

  /** Connects, and stays connected (reconnecting as needed) until `disconnect()`. */
  connect(): void {
    this.wantConnected = true;
    if (!this.cursorKeeper || this.starts) {
      this.connection.start();
      return;
    }
    // The first sync must start from the saved cursors: read them before opening the socket.
    void this.cursorKeeper.starts.then((starts) => {
      this.starts ??= starts;
      this.seedStarts();
      if (this.wantConnected) this.connection.start();
    });
  }

  /** Closes the socket and stops reconnecting. Sends made meanwhile wait in the outbox. */
  disconnect(): void {
    this.wantConnected = false;
    this.connection.stop();
    this.settleWaiters(new ParleyError('closed', 'disconnected'));
  }

  private settleWaiters(err: ParleyError): void {
    for (const done of [...this.connectWaiters]) done(err);
  }

  /**
   * Resolves when connected (at once if already) and the conversation list
   * asked for on connecting has been merged: from then on, every entry the
   * server stores is handed over as an `entry` event, including in
   * conversations this client has no saved cursor for (those start at the
   * newest entry the list named; earlier ones are history). Rejects if,
   * first, the server refuses the client (4403), the session ends, or the
   * app calls `disconnect()`; reconnects and token renewals along the way are
   * waited out.
   */
  connected(): Promise<void> {
    if (this.state === 'connected' && !this.listing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // Resolved by onListed (the list asked for on `ready` is merged), rejected by the events below.
      const offs = [
        this.on('stopped', ({ code }) => done(new ParleyError('forbidden', `server refused the connection (${code})`))),
        this.on('logged_out', () => done(new ParleyError('unauthenticated', 'logged out'))),
      ];
      const done = (err?: ParleyError): void => {
        offs.forEach((off) => off());
        this.connectWaiters.delete(done);
        if (err) reject(err);
        else resolve();
      };
      this.connectWaiters.add(done);
    });
  }

  /** Disconnects and releases every timer; pending sends stay in the outbox store. */
  async close(): Promise<void> {
    this.disconnect();
    this.session.dispose();
    this.tokens.dispose();
    this.catchUp.reset();
    this.receipts.reset();
    this.typingState.reset();
    await this.outbox.close();
    await this.cursorKeeper?.settled();
  }

  // --- Messages -----------------------------------------------------------------

  /**
   * Uploads a file into a conversation (tus, in chunks): call `start()`, watch
   * `progress`, `pause()` / `resume()` / `cancel()`; `done` resolves with the
   * attachment id a message's `attachments` can reference. Pass `url` (an
   * earlier upload's `upload.url`) to resume it after a reload.
   */
  upload(conversationId: ConversationId, file: Blob | Uint8Array, options: Omit<UploadOptions, 'conversationId' | 'file'> = {}): Upload {
    return new Upload({ ...options, conversationId, file, baseUrl: this.uploadWith.baseUrl, fetch: this.uploadWith.fetch, auth: this.session });
  }

  /**
   * Sends a text message. Returns at once with the pending entry (its
   * `client_msg_id` identifies it until the server's copy arrives); the
   * outbox delivers it exactly once, across reconnects and restarts. The
   * entry is also a promise of the server's ack: `await` it for the stored
   * `seq` and `message_id`; it rejects with a {@link ParleyError} when the
   * server refuses the message for good (or it is discarded). Left unawaited,
   * a refusal is reported by the `outbox` event only.
   *
   * `options.clientMsgId` chooses the id: a bot that answers entry X with an
   * id derived from X's `message_id` answers once even if X is handed to it
   * again after a crash (the server stores each `client_msg_id` once).
   * `options.replyTo` quotes a message (its seq or id); with `options.thread`
   * the reply goes into that message's thread (a reply to a thread reply
   * always does). Mentions (`@username`, `@everyone`) are found by the server.
   *
   * `options.uploads` are files still uploading (`client.upload`): the
   * message waits for them, then goes with their attachment ids. With an
   * `uploads` store that survives a reload (`IndexedDbUploadStore`), so do
   * the files: after a reload each resumes from what the server has, and the
   * message is sent once. Messages sent meanwhile do not wait for it.
   *
   * @example
   * ```ts
   * const { seq } = await client.send(chat.id, 'pong', { clientMsgId: `pong-${entry.message_id}` });
   * await client.send(chat.id, 'on it', { replyTo: root.seq, thread: true });
   * ```
   */
  send(
    conversationId: ConversationId,
    text: string,
    options: { clientMsgId?: string; attachments?: string[]; uploads?: Upload[]; replyTo?: Seq | MessageId; thread?: boolean } = {},
  ): PendingSend {
    const keyed = (options.uploads ?? []).map((upload) => ({ key: this.uuid(), upload }));
    const entry = this.outbox.enqueue(conversationId, text, { ...options, uploads: keyed.map(({ key, upload }) => ({ key, name: upload.name })) });
    // (A repeated clientMsgId returns the entry queued first, which does not wait for these.)
    if (keyed.length > 0 && entry.uploads?.[0]?.key === keyed[0]!.key) this.uploadSends.attach(entry, keyed);
    this.typingState.set(conversationId, false);
    let waiter = this.ackWaiters.get(entry.client_msg_id);
    if (!waiter) {
      let settle!: AckWaiter['settle'];
      const ack = new Promise<SendAck>((resolve, reject) => (settle = (err, value) => (err ? reject(err) : resolve(value!))));
      // Marked handled: an app that never awaits a send must not crash Node on a refusal.
      ack.catch(() => {});
      waiter = { ack, settle };
      this.ackWaiters.set(entry.client_msg_id, waiter);
    }
    const { ack } = waiter;
    // Not enumerable: the value still reads, compares and serialises as the plain entry.
    return Object.defineProperties({ ...entry }, {
      ack: { value: ack },
      then: { value: ack.then.bind(ack) as PromiseLike<SendAck>['then'] },
    }) as PendingSend;
  }

  /**
   * Replaces the text of one of this user's messages. Shown at once; rolled
   * back if the server refuses (`forbidden`, `message_deleted`, …), which
   * rejects the promise. Resolves with the edit's log entry.
   *
   * @example await client.editMessage(conversationId, entry.seq, 'fixed the typo');
   */
  editMessage(conversationId: ConversationId, seq: Seq, text: string): Promise<MessageView> {
    return this.actions.edit(conversationId, seq, text);
  }

  /** Deletes a message (one's own, or any in a group one administers); shown at once, rolled back on refusal. */
  deleteMessage(conversationId: ConversationId, seq: Seq): Promise<MessageView> {
    return this.actions.delete(conversationId, seq);
  }

  /**
   * Adds this user's reaction (one emoji) to a message; shown at once, rolled back on refusal.
   *
   * @example await client.react(conversationId, entry.seq, '👍');
   */
  react(conversationId: ConversationId, seq: Seq, emoji: string): Promise<MessageView> {
    return this.actions.react(conversationId, seq, emoji, true);
  }

  /** Takes back this user's reaction with `emoji`. */
  unreact(conversationId: ConversationId, seq: Seq, emoji: string): Promise<MessageView> {
    return this.actions.react(conversationId, seq, emoji, false);
  }

  /**
   * Pins a message of a conversation (group admins, or every member where the
   * group allows it; both members of a direct conversation). Shown at once,
   * rolled back if the server refuses (`forbidden`, `too_many_pins`, …).
   *
   * @example await client.pin(conversationId, entry.seq); client.pins(conversationId);
   */
  pin(conversationId: ConversationId, seq: Seq): Promise<MessageView> {
    return this.actions.pin(conversationId, seq, true);
  }

  /** Unpins a message; shown at once, rolled back on refusal. */
  unpin(conversationId: ConversationId, seq: Seq): Promise<MessageView> {
    return this.actions.pin(conversationId, seq, false);
  }

  /**
   * The conversation's pins as this client knows them, most recently pinned
   * first: the list from `loadPins` kept current by the pin and unpin entries
   * of the log (the store emits `pins` on each change).
   */
  pins(conversationId: ConversationId): readonly Pin[] {
    return this.store.pins(conversationId);
  }

  /**
   * Loads the conversation's pins from the server (`GET …/pins`); entries
   * above the list's `as_of_seq` apply over it in order.
   *
   * @example const pins = await client.loadPins(conversationId);
   */
  async loadPins(conversationId: ConversationId): Promise<readonly Pin[]> {
    const res = await this.api.request<PinsResponse>('GET', `/conversations/${encodeURIComponent(conversationId)}/pins`);
    this.store.setPins(conversationId, res.pins, res.as_of_seq);
    return this.store.pins(conversationId);
  }

  /**
   * Reads a page of a thread: its root and the oldest `limit` replies above
   * `afterSeq` (page on with the last reply's seq while `has_more`). The
   * replies join the conversation's log (they are its entries), and the
   * thread's read state is taken from the answer.
   *
   * @example const page = await client.readThread(conversationId, root.seq);
   */
  async readThread(conversationId: ConversationId, rootSeq: Seq, options: { afterSeq?: Seq; limit?: number } = {}): Promise<ThreadPage> {
    const page = await this.api.request<ThreadPage>('GET', `/conversations/${encodeURIComponent(conversationId)}/threads/${rootSeq}`, {
      query: { after_seq: options.afterSeq, limit: options.limit },
    });
    this.ingest(page.root, true);
    for (const reply of page.replies) this.ingest(reply, true);
    this.store.applyThreadRead(
      { conversation_id: conversationId, root_seq: rootSeq, read_seq: page.read_seq, unread_count: page.unread_count },
      page.root.thread?.last_reply_seq ?? 0,
    );
    return page;
  }

  /**
   * Marks a thread read up to `seq` (a reply's seq). Shown at once; the
   * server tells this user's other devices (`thread_read`).
   *
   * @example await client.markThreadRead(conversationId, root.seq, lastReply.seq);
   */
  async markThreadRead(conversationId: ConversationId, rootSeq: Seq, seq: Seq): Promise<void> {
    this.store.markThreadRead(conversationId, rootSeq, seq);
    const reply = await this.connection.request({ type: 'thread_read', conversation_id: conversationId, root_seq: rootSeq, seq });
    if (reply.type === 'thread_read') this.store.applyThreadRead(reply, reply.last_reply_seq);
  }

  /** This user's read cursor of a thread and its unread replies (null until read from the server once). */
  threadState(conversationId: ConversationId, rootSeq: Seq): { readSeq: Seq; unread: number | null } {
    return this.store.threadState(conversationId, rootSeq);
  }

  /** Sends a failed message again (same `client_msg_id`). */
  retrySend(clientMsgId: string): boolean {
    if (!this.outbox.retry(clientMsgId)) return false;
    // A message whose file failed to upload uploads it again (from the bytes kept for it).
    void this.uploadSends.resume(this.outbox.list().filter((e) => e.client_msg_id === clientMsgId));
    return true;
  }

  discardSend(clientMsgId: string): boolean {
    const entry = this.outbox.list().find((e) => e.client_msg_id === clientMsgId);
    if (!this.outbox.discard(clientMsgId)) return false;
    if (entry) this.uploadSends.forget(entry);
    return true;
  }

  /** Messages waiting in the outbox (pending or failed), oldest first. */
  pending(conversationId?: ConversationId): OutboxEntry[] {
    return this.outbox.list(conversationId);
  }

  /**
   * The messages and system entries held for a conversation, by seq, as they
   * are now: edits, deletes and reactions are applied (their own log entries
   * are not listed), this client's pending ones included.
   */
  messages(conversationId: ConversationId): readonly MessageView[] {
    return this.store.log(conversationId)?.entries() ?? [];
  }

  /** Loads the next older page of a conversation's history; resolves with the entries that were new. */
  loadOlder(conversationId: ConversationId, limit?: number): Promise<MessageView[]> {
    return this.catchUp.loadOlder(conversationId, limit);
  }

  /** Ticks for this user's message at `seq`: sent, delivered (every other member has it) or read. */
  messageStatus(conversationId: ConversationId, seq: Seq): MessageStatus {
    return this.store.status(conversationId, seq);
  }

  /** Marks a conversation read up to `seq` (default: everything held). */
  markRead(conversationId: ConversationId, seq?: Seq): void {
    this.receipts.markRead(conversationId, seq);
  }

  // --- Conversations --------------------------------------------------------------

  conversation(conversationId: ConversationId): ConversationSnapshot | undefined {
    return this.store.snapshot(conversationId);
  }

  /** Known conversations, most recently active first. */
  conversations(): ConversationSnapshot[] {
    return this.store.list();
  }

  async refreshConversations(): Promise<ConversationSnapshot[]> {
    await this.catchUp.refreshList();
    return this.store.list();
  }

  async createDirect(userId: UserId): Promise<ConversationSnapshot> {
    const view = await this.api.createDirect(userId);
    this.store.upsertView(view);
    return this.snapshotOf(view.id);
  }

  async createGroup(memberIds: UserId[], title?: string): Promise<ConversationSnapshot> {
    const view = await this.api.createGroup(memberIds, title);
    this.store.upsertView(view);
    return this.snapshotOf(view.id);
  }

  /**
   * Loads every member of a conversation whose snapshot holds only the
   * server's preview (a group larger than it), so the snapshot's `members`
   * and the ticks cover everyone; resolves with them.
   *
   * @example
   * ```ts
   * if (snapshot.members.length < snapshot.member_count) await client.loadMembers(snapshot.id);
   * ```
   */
  async loadMembers(conversationId: ConversationId): Promise<MemberView[]> {
    const members = await this.api.listMembers(conversationId);
    this.store.setMembers(conversationId, members);
    return members;
  }

  async addMembers(conversationId: ConversationId, userIds: UserId[]): Promise<ConversationSnapshot> {
    await this.api.addMembers(conversationId, userIds);
    this.store.upsertView(await this.api.getConversation(conversationId));
    return this.snapshotOf(conversationId);
  }

  /** Renames a group and/or sets its description (admins only; null clears). Members see a log entry. */
  async updateGroup(conversationId: ConversationId, body: UpdateConversationBody): Promise<ConversationSnapshot> {
    this.store.upsertView(await this.api.updateConversation(conversationId, body));
    return this.snapshotOf(conversationId);
  }

  /** Makes a member an admin or an admin a member (admins only; a group keeps at least one admin: `conflict`). */
  async setRole(conversationId: ConversationId, userId: UserId, role: 'admin' | 'member'): Promise<ConversationSnapshot> {
    await this.api.setRole(conversationId, userId, role);
    this.store.upsertView(await this.api.getConversation(conversationId));
    return this.snapshotOf(conversationId);
  }

  /** Removes a member from a group; removing yourself leaves it. */
  async removeMember(conversationId: ConversationId, userId: UserId): Promise<void> {
    await this.api.removeMember(conversationId, userId);
    if (userId === this.userId) this.store.remove(conversationId);
    else this.store.upsertView(await this.api.getConversation(conversationId));
  }

  /**
   * A user by id, if known without asking the server: a member of any held
   * conversation, or someone fetched by {@link loadUsers}. History names
   * people who are no longer members; look them up here.
   *
   * @example
   * ```ts
   * const name = client.user(entry.sender_id)?.display_name ?? 'Someone';
   * ```
   */
  userById(id: UserId): UserView | undefined {
    return this.users.get(id);
  }

  /**
   * Fetches the users among `ids` that {@link userById} does not know yet
   * (each once); a `users` event follows with those found.
   *
   * @example
   * ```ts
   * client.on('users', () => rerender());
   * void client.loadUsers(history.map((e) => e.sender_id));
   * ```
   */
  loadUsers(ids: Iterable<UserId>): Promise<void> {
    return this.users.load(ids);
  }

  searchUsers(query: string, limit?: number): Promise<UserView[]> {
    return this.api.searchUsers(query, limit);
  }

  /**
   * Searches the messages of the conversations you are a member of now: `q`
   * anywhere in the text (two characters or more, any script, case-insensitive),
   * whole-word matches first, then newest first. A snippet is plain text with
   * highlight ranges (UTF-16 offsets): render it as text, wrapping the ranges
   * yourself, never as HTML. Pass `next_cursor` back as `cursor` for the next page.
   *
   * @example
   * ```ts
   * const page = await client.search('会議', { conversation_id: id, limit: 20 });
   * for (const hit of page.results) {
   *   const { text, highlights } = hit.snippet;
   *   const marked = highlights.map((h) => text.slice(h.start, h.end)); // the matches
   * }
   * const more = page.next_cursor ? await client.search('会議', { conversation_id: id, cursor: page.next_cursor }) : null;
   * ```
   */
  search(q: string, options: Omit<SearchQuery, 'q'> = {}): Promise<SearchResponse> {
    return this.api.search({ ...options, q });
  }

  // --- Calls --------------------------------------------------------------------------

  /**
   * Voice and video calls of this device (WebRTC: browsers, or any platform
   * given `options.rtc`). Created on first use.
   */
  get calls(): Calls {
    if (!this.callsManager) {
      const RTC = this.rtc?.RTCPeerConnection ?? globalThis.RTCPeerConnection;
      const mediaDevices = this.rtc?.mediaDevices ?? globalThis.navigator?.mediaDevices;
      if (!RTC || !mediaDevices) throw new TypeError('calls need WebRTC: pass options.rtc outside a browser');
      this.callsManager = new Calls({
        env: {
          RTCPeerConnection: RTC,
          mediaDevices,
          iceTransportPolicy: this.rtc?.iceTransportPolicy,
          iceServers: async () =>
            (await this.api.iceServers()).ice_servers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential })),
        },
        send: (frame) => void this.connection.send(frame),
        me: () => this.userId,
        randomUUID: this.uuid,
      });
    }
    return this.callsManager;
  }

  // --- Typing and presence -----------------------------------------------------------

  /** Call with `true` on every keystroke (throttled to one `start` per 3 s) and `false` when the user stops. */
  setTyping(conversationId: ConversationId, typing: boolean): void {
    this.typingState.set(conversationId, typing);
  }

  /** Users typing in a conversation now. */
  typingUsers(conversationId: ConversationId): UserId[] {
    return this.typingState.users(conversationId);
  }

  /** Asks for `presence` events about these users (kept across reconnects). */
  subscribePresence(userIds: readonly UserId[]): void {
    this.presence.subscribe(userIds);
  }

  unsubscribePresence(userIds: readonly UserId[]): void {
    this.presence.unsubscribe(userIds);
  }

  presenceOf(userId: UserId): PresenceInfo | undefined {
    return this.presence.get(userId);
  }

  // --- Wiring -----------------------------------------------------------------------

  private wire(): void {
    const { connection, session, store, outbox } = this;
    session.events.on('session', (data) => this.onSession(data));
    session.events.on('logged_out', (event) => {
      connection.stop();
      this.emit('logged_out', event);
    });
    connection.events.on('state', (state) => this.emit('state', state));
    connection.events.on('ready', (ready) => this.onReady(ready));
    connection.events.on('frame', (frame) => this.dispatch(frame));
    connection.events.on('closed', (info) => {
      this.emit('closed', info);
      this.tokens.onClosed(info);
    });
    connection.events.on('reconnect_scheduled', (event) => this.emit('reconnect_scheduled', event));
    connection.events.on('stopped', (event) => this.emit('stopped', event));
    connection.events.on('auth_required', () => {
      if (!session.data) this.settleWaiters(new ParleyError('unauthenticated', 'log in before connecting'));
      this.tokens.onAuthRequired();
    });
    for (const name of ['message', 'conversation', 'conversation_removed', 'receipt', 'unread', 'mentions', 'pins', 'thread'] as const) {
      store.events.on(name, (payload) => this.emit(name, payload as never));
    }
    store.events.on('entry', (payload) => {
      this.emit('entry', payload);
      // After the listeners returned: the cursor never runs ahead of what the app was handed.
      this.cursorKeeper?.handed(payload.conversationId, payload.entry.seq);
    });
    store.events.on('conversation_removed', ({ conversationId }) => this.cursorKeeper?.forget(conversationId));
    store.events.on('conversation_removed', ({ conversationId }) => this.typingState.forget(conversationId));
    // What a conversation's view says exists has reached this device, even before it is loaded.
    store.events.on('conversation', ({ id }) => this.receipts.noteReceived(id));
    outbox.events.on('outbox', (event) => this.onOutbox(event));
    outbox.events.on('error', (err) => this.emit('error', err));
    this.typingState.events.on('typing', (event) => this.emit('typing', event));
    this.presence.events.on('presence', (info) => this.emit('presence', info));
    this.presence.events.on('error', (err) => this.emit('error', err));
  }

  private onSession(data: SessionData | null): void {
    const userId = data?.user.id ?? null;
    if (userId !== this.userId) {
      // Another account (or none): nothing of the previous one may leak into it.
      this.catchUp.reset();
      this.receipts.reset();
      this.typingState.reset();
      this.presence.reset();
      this.callsManager?.reset();
      this.store.clear();
      this.seedStarts();
      this.users.reset();
      this.userId = userId;
      this.store.me = userId;
      this.outbox.user = userId;
    }
    this.emit('session', data);
    this.tokens.onSession(data);
  }

  private onReady(ready: ReadyFrame): void {
    this.listing = true;
    this.tokens.onReady();
    this.emit('ready', ready);
    this.receipts.onReady();
    this.presence.onReady();
    this.outbox.kick();
    // Files that queued messages wait for and that no upload runs for here (a reload): on with them.
    void this.outbox.whenLoaded().then(() => this.uploadSends.resume(this.outbox.list()));
    this.catchUp.resume().catch((err: unknown) => this.emit('error', asParleyError(err)));
  }

  /** The list asked for on `ready` is merged: whoever waits in `connected()` may go on, if still connected. */
  private onListed(): void {
    this.listing = false;
    if (this.state !== 'connected') return;
    for (const done of [...this.connectWaiters]) done();
  }

  private dispatch(frame: ServerFrame): void {
    // Checked by prefix here rather than with the protocol's isCallFrame: the
    // SDK imports the protocol for types only, keeping its schemas out of bundles.
    if (frame.type.startsWith('call_')) {
      this.callsManager?.onFrame(frame as Extract<ServerFrame, { type: `call_${string}` }>);
      return;
    }
    switch (frame.type) {
      case 'message': {
        const { type: _, replayed, ...entry } = frame;
        this.ingest(entry, replayed === true);
        return;
      }
      case 'receipt':
        this.store.applyReceipt(frame);
        return;
      case 'typing':
        this.typingState.onFrame(frame, this.userId);
        return;
      case 'presence':
        this.presence.onFrame(frame);
        return;
      case 'conversation':
        if (frame.event === 'removed') this.store.remove(frame.conversation.id);
        else if ('members' in frame.conversation) {
          this.store.upsertView(frame.conversation);
          this.catchUp.scheduleFill(frame.conversation.id);
        } else {
          // `updated` carries only the id: membership changed, fetch the new view.
          this.catchUp.refreshView(frame.conversation.id);
        }
        return;
      case 'attachment':
        this.emit('attachment', frame.attachment);
        return;
      case 'thread_read':
        this.store.applyThreadRead(frame, frame.last_reply_seq);
        return;
      case 'error':
        // Errors that answer a request reach the request; the rest are news.
        if (frame.id === undefined) this.emit('error', new ParleyError(frame.code, frame.message));
        return;
      default:
        return;
    }
  }

  /** Takes an entry from anywhere (push, ack, sync, backfill): duplicates are dropped by seq, gaps are filled. */
  private ingest(entry: MessageView, replayed = false): void {
    const id = entry.conversation_id;
    const inserted = this.store.insert(entry, replayed);
    this.catchUp.ensureView(id);
    if (!inserted) return;
    if (entry.sender_id !== this.userId) {
      this.receipts.noteReceived(id);
      this.typingState.remove(id, entry.sender_id);
    }
    this.catchUp.scheduleFill(id);
  }

  private onOutbox(event: OutboxEvent): void {
    this.emit('outbox', event);
    const waiter = event.kind === 'queued' ? undefined : this.ackWaiters.get(event.entry.client_msg_id);
    if (waiter) {
      this.ackWaiters.delete(event.entry.client_msg_id);
      if (event.kind === 'sent') {
        const { conversation_id, message_id, seq, created_at, duplicate } = event.ack;
        waiter.settle(null, { conversation_id, message_id, seq, created_at, duplicate, client_msg_id: event.entry.client_msg_id });
      } else if (event.kind === 'failed') waiter.settle(event.error);
      else waiter.settle(new ParleyError('closed', 'the message was discarded before it was sent'));
    }
    if (event.kind !== 'sent') return;
    const { entry, ack } = event;
    // The ack carries all of the stored entry: the message need not wait for its own push.
    this.ingest({
      conversation_id: ack.conversation_id,
      seq: ack.seq,
      message_id: ack.message_id,
      sender_id: entry.user_id,
      message: {
        type: 'text',
        text: entry.text,
        attachments: (entry.attachments ?? []).map((id) => ({ id })),
        client_msg_id: entry.client_msg_id,
        sent_at: entry.sent_at,
        ...(entry.reply_to !== undefined ? { reply_to: entry.reply_to } : {}),
        ...(entry.thread ? { thread: true } : {}),
      },
      created_at: ack.created_at,
      ...this.quoteOf(ack.conversation_id, entry.reply_to),
      ...(ack.thread_root !== undefined ? { thread_root: ack.thread_root } : {}),
      ...(ack.mentions ? { mentions: ack.mentions } : {}),
    });
  }

  /** Starts the conversations with a saved or chosen cursor there, before anything else creates their logs. */
  private seedStarts(): void {
    if (!this.starts) return;
    for (const [id, seq] of Object.entries(this.starts)) this.store.seed(id, seq);
  }

  /** A reply's quote from the held log (the push would carry the same; the ack does not). */
  private quoteOf(conversationId: ConversationId, replyTo: Seq | MessageId | undefined): Pick<MessageView, 'reply_to'> {
    if (replyTo === undefined) return {};
    const target = this.store.log(conversationId)?.entries().find((e) => (typeof replyTo === 'number' ? e.seq === replyTo : e.message_id === replyTo));
    if (!target) return {};
    const text = target.message.type === 'text' ? target.message.text.slice(0, REPLY_EXCERPT_LENGTH) : null;
    return { reply_to: { seq: target.seq, message_id: target.message_id, sender_id: target.sender_id, text } };
  }

  private snapshotOf(id: ConversationId): ConversationSnapshot {
    const snapshot = this.store.snapshot(id);
    if (!snapshot) throw new ParleyError('conversation_not_found', `conversation ${id} is not known`);
    return snapshot;
  }
}
