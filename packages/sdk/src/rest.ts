import { MAX_MEMBERS_PAGE } from '@parley/protocol';
import type {
  AddMembersResponse,
  AttachmentView,
  IceServersResponse,
  AuthResponse,
  ChangePasswordBody,
  ConversationId,
  ConversationView,
  HistoryQuery,
  LoginBody,
  MemberView,
  MembersPage,
  MembersQuery,
  MessageView,
  RegisterBody,
  SearchQuery,
  SearchResponse,
  UpdateConversationBody,
  UpdateProfileBody,
  UserId,
  UserView,
  BotSessionResponse,
  AnalyticsDay,
  AnalyticsQuery,
  MeView,
  ModerationActionBody,
  ModerationItemView,
  ModerationQueueQuery,
  ModerationRuleBody,
  ModerationRuleView,
  Seq,
} from '@parley/protocol';
import { ParleyError, toParleyError } from './errors.ts';

/** What the SDK needs of `fetch`; the global `fetch` of browsers and Node fits. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

/** The part of `fetch`'s options the REST client uses (so any fetch-like function will do). */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** The part of a `fetch` response the REST client reads. */
export interface FetchResponseLike {
  readonly status: number;
  text(): Promise<string>;
}

/** How the REST client gets and renews the access token (the `Session` implements it). */
export interface RestAuth {
  /** The token to send, renewed first when it is about to expire; null when there is no session. */
  accessToken(): Promise<string | null>;
  /** Renews the token after the server refused it; true when a new one is available. */
  refresh(): Promise<boolean>;
}

/** One page of a conversation's log, oldest first. */
export interface HistoryPage {
  messages: MessageView[];
  /** More entries lie beyond this page in the direction asked. */
  has_more: boolean;
}

/** Options of `RestClient`: the server, the `fetch` to call it with, a per-request timeout. */
export interface RestClientOptions {
  /** Server base URL, e.g. `https://chat.example.com`; REST lives under `/api/v1`. */
  baseUrl: string;
  fetch: FetchLike;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
}

// A 401 with one of these codes may succeed after the session is refreshed. The
// refresh token is independent of the JWT signing key, so a token refused as
// invalid (the server rotated keys) is renewed too, not only an expired one.
const RENEWABLE = new Set(['token_expired', 'unauthenticated']);

/**
 * The REST API under `/api/v1`, typed by `@parley/protocol`. Authenticated
 * calls renew the access token once, transparently, when the server answers
 * 401 `token_expired`. Every failure is a {@link ParleyError}.
 *
 * @example
 * ```ts
 * const [bob] = await client.api.searchUsers('bob');
 * const conversation = await client.api.createDirect(bob.id);
 * const { messages } = await client.api.history(conversation.id, { limit: 50 });
 * ```
 */
export class RestClient {
  /** Set by the client once a session exists. */
  auth: RestAuth | null = null;
  private readonly base: string;

  constructor(private readonly options: RestClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '') + '/api/v1';
  }

  register(body: RegisterBody): Promise<AuthResponse> {
    return this.request('POST', '/auth/register', { body, auth: false });
  }

  login(body: LoginBody): Promise<AuthResponse> {
    return this.request('POST', '/auth/login', { body, auth: false });
  }

  /** Exchanges a bot token for an access token (`POST /auth/bot`). */
  botLogin(token: string): Promise<BotSessionResponse> {
    return this.request('POST', '/auth/bot', { body: { token }, auth: false });
  }

  /** Rotates the refresh token: the one passed in is spent, keep the new one. */
  refresh(refreshToken: string): Promise<AuthResponse> {
    return this.request('POST', '/auth/refresh', { body: { refresh_token: refreshToken }, auth: false });
  }

  /** Revokes the session the refresh token belongs to. */
  async logout(refreshToken: string): Promise<void> {
    await this.request('POST', '/auth/logout', { body: { refresh_token: refreshToken }, auth: false });
  }

  /** The caller's profile, and whether they are a server operator (who may use the `admin*` calls). */
  me(): Promise<UserView & Pick<MeView, 'is_operator'>> {
    return this.request('GET', '/users/me');
  }

  /** Changes the caller's display name. */
  updateMe(body: UpdateProfileBody): Promise<UserView> {
    return this.request('PATCH', '/users/me', { body });
  }

  /** Changes the password: the server ends every session of the user and answers with a new one. */
  changePassword(body: ChangePasswordBody): Promise<AuthResponse> {
    return this.request('POST', '/auth/password', { body });
  }

  /** One user by id (`user_not_found` if there is none). */
  getUser(id: UserId): Promise<UserView> {
    return this.request('GET', `/users/${encodeURIComponent(id)}`);
  }

  /** A page of everyone (but the caller) by username, after `after`. */
  directory(query: { after?: string; limit?: number } = {}): Promise<{ users: UserView[]; next_after: string | null }> {
    return this.request('GET', '/users/directory', { query });
  }

  async searchUsers(query: string, limit?: number): Promise<UserView[]> {
    const res = await this.request<{ users: UserView[] }>('GET', '/users', { query: { query, limit } });
    return res.users;
  }

  /** `GET /search`: one page of the caller's messages holding `query.q` (see {@link ParleyClient.search}). */
  search(query: SearchQuery): Promise<SearchResponse> {
    return this.request('GET', '/search', { query: { ...query } });
  }

  async listConversations(): Promise<ConversationView[]> {
    const res = await this.request<{ conversations: ConversationView[] }>('GET', '/conversations');
    return res.conversations;
  }

  getConversation(id: ConversationId): Promise<ConversationView> {
    return this.request('GET', `/conversations/${encodeURIComponent(id)}`);
  }

  /** The pair's one direct conversation, created the first time. */
  createDirect(userId: UserId): Promise<ConversationView> {
    return this.request('POST', '/conversations', { body: { type: 'direct', member_ids: [userId] } });
  }

  createGroup(memberIds: UserId[], title?: string): Promise<ConversationView> {
    return this.request('POST', '/conversations', {
      body: { type: 'group', member_ids: memberIds, ...(title !== undefined ? { title } : {}) },
    });
  }

  /** One page of the members, in join order: pass the page's `next_cursor` as `cursor` for the next one. */
  listMembersPage(id: ConversationId, query: MembersQuery = {}): Promise<MembersPage> {
    return this.request('GET', `/conversations/${encodeURIComponent(id)}/members`, { query: { ...query } });
  }

  /** Every member, paging through them (a group has at most MAX_GROUP_MEMBERS). */
  async listMembers(id: ConversationId): Promise<MemberView[]> {
    const members: MemberView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listMembersPage(id, { limit: MAX_MEMBERS_PAGE, ...(cursor ? { cursor } : {}) });
      members.push(...page.members);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return members;
  }

  /** Adds members to a group (admins): answers who joined and the new member count. */
  addMembers(id: ConversationId, userIds: UserId[]): Promise<AddMembersResponse> {
    return this.request('POST', `/conversations/${encodeURIComponent(id)}/members`, { body: { user_ids: userIds } });
  }

  /** Removes a member from a group; removing yourself leaves it. */
  /** Renames a group or sets its description (admins); null clears. */
  updateConversation(id: ConversationId, body: UpdateConversationBody): Promise<ConversationView> {
    return this.request('PATCH', `/conversations/${encodeURIComponent(id)}`, { body });
  }

  /** Makes a member an admin, or an admin a member (admins). */
  async setRole(id: ConversationId, userId: UserId, role: 'admin' | 'member'): Promise<void> {
    await this.request('PUT', `/conversations/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}/role`, { body: { role } });
  }

  async removeMember(id: ConversationId, userId: UserId): Promise<void> {
    await this.request('DELETE', `/conversations/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`);
  }

  /**
   * A page of the log: without `after_seq`, the newest `limit` entries below
   * `before_seq`; with it, the oldest `limit` entries above it.
   */
  /** An attachment's metadata and processing status (members only). */
  getAttachment(id: string): Promise<AttachmentView> {
    return this.request('GET', `/attachments/${encodeURIComponent(id)}`);
  }

  history(id: ConversationId, query: HistoryQuery = {}): Promise<HistoryPage> {
    return this.request('GET', `/conversations/${encodeURIComponent(id)}/messages`, { query: { ...query } });
  }

  /** Reports a message of one's conversation to the server operators (once per message: `already_reported`). */
  reportMessage(id: ConversationId, seq: Seq, note?: string): Promise<ModerationItemView> {
    return this.request('POST', `/conversations/${encodeURIComponent(id)}/messages/${seq}/report`, { body: note ? { note } : {} });
  }

  // Server operators only (`operator_only` otherwise): the review queue, rules, analytics.

  async adminQueue(query: ModerationQueueQuery = {}): Promise<ModerationItemView[]> {
    return (await this.request<{ items: ModerationItemView[] }>('GET', '/admin/moderation/queue', { query: { ...query } })).items;
  }

  /** Restore, confirm, warn, mute or ban on a queue item. */
  adminAct(itemId: string, body: ModerationActionBody): Promise<ModerationItemView> {
    return this.request('POST', `/admin/moderation/queue/${encodeURIComponent(itemId)}/actions`, { body });
  }

  async adminRules(): Promise<ModerationRuleView[]> {
    return (await this.request<{ rules: ModerationRuleView[] }>('GET', '/admin/moderation/rules')).rules;
  }

  /** Adds a rule; a malformed one is refused (`invalid_rule`, `rule_matches_everything`). */
  adminAddRule(body: ModerationRuleBody): Promise<ModerationRuleView> {
    return this.request('POST', '/admin/moderation/rules', { body });
  }

  async adminRemoveRule(id: string): Promise<void> {
    await this.request('DELETE', `/admin/moderation/rules/${encodeURIComponent(id)}`);
  }

  /** Daily aggregates (UTC days) of the event stream. */
  async adminAnalytics(query: AnalyticsQuery = {}): Promise<AnalyticsDay[]> {
    return (await this.request<{ days: AnalyticsDay[] }>('GET', '/admin/analytics/daily', { query: { ...query } })).days;
  }

  /** STUN/TURN servers for calls, with short-lived TURN credentials. */
  iceServers(): Promise<IceServersResponse> {
    return this.request('GET', '/calls/ice-servers');
  }

  /** Sends one request; with `auth` (the default) it carries the access token and renews it once on 401. */
  async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Record<string, string | number | undefined>; auth?: boolean } = {},
  ): Promise<T> {
    const useAuth = options.auth ?? true;
    let url = this.base + path;
    const params = Object.entries(options.query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
    if (params.length > 0) url += '?' + new URLSearchParams(params.map(([k, v]) => [k, String(v)])).toString();

    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (useAuth) {
        const token = await this.auth?.accessToken();
        if (!token) throw new ParleyError('unauthenticated', 'not logged in');
        headers.authorization = `Bearer ${token}`;
      }
      const init: FetchInit = { method, headers };
      if (options.body !== undefined) {
        headers['content-type'] = 'application/json';
        init.body = JSON.stringify(options.body);
      }
      if (this.options.timeoutMs !== undefined && typeof AbortSignal.timeout === 'function') {
        init.signal = AbortSignal.timeout(this.options.timeoutMs);
      }
      const { status, body } = await this.exchange(url, init);
      if (status >= 200 && status < 300) return body as T;
      const error = toParleyError(body, status);
      if (useAuth && status === 401 && attempt === 0 && RENEWABLE.has(error.code) && (await this.auth?.refresh())) {
        continue;
      }
      throw error;
    }
  }

  private async exchange(url: string, init: FetchInit): Promise<{ status: number; body: unknown }> {
    let status: number;
    let text: string;
    try {
      const res = await this.options.fetch(url, init);
      status = res.status;
      text = await res.text();
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new ParleyError(timedOut ? 'timeout' : 'network_error', `${init.method} ${url} failed`, { cause: err });
    }
    if (text === '') return { status, body: undefined };
    try {
      return { status, body: JSON.parse(text) as unknown };
    } catch (err) {
      throw new ParleyError(status >= 500 ? 'internal' : 'bad_response', `HTTP ${status}: body is not JSON`, {
        status,
        cause: err,
      });
    }
  }
}
