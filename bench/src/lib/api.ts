import type { AuthResponse, ConversationView, ErrorBody } from '@parley/protocol';

/** A registered user the benchmark acts as. */
export interface BenchUser {
  id: string;
  username: string;
  token: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** A minimal REST client for the calls the benchmarks need. */
export class Api {
  /** Requests answered `rate_limited` and retried. */
  rateLimited = 0;

  constructor(private readonly baseUrl: string) {}

  async register(username: string, password: string): Promise<BenchUser> {
    const res = await this.post<AuthResponse>('/api/v1/auth/register', { username, password });
    return { id: res.user.id, username: res.user.username, token: res.access_token };
  }

  /** Creates (or, being idempotent per pair, finds) the direct conversation of `me` and `other`. */
  async createDirect(me: BenchUser, other: BenchUser): Promise<string> {
    const res = await this.post<ConversationView>(
      '/api/v1/conversations',
      { type: 'direct', member_ids: [other.id] },
      me.token,
    );
    return res.id;
  }

  /** Creates a group of `owner` and `memberIds` (at most 1000 per request: add the rest with `addMembers`). */
  async createGroup(owner: BenchUser, memberIds: string[], title: string): Promise<string> {
    const res = await this.post<ConversationView>('/api/v1/conversations', { type: 'group', member_ids: memberIds, title }, owner.token);
    return res.id;
  }

  /** Adds up to 100 users to a group. */
  async addMembers(owner: BenchUser, conversationId: string, userIds: string[]): Promise<void> {
    await this.post<unknown>(`/api/v1/conversations/${conversationId}/members`, { user_ids: userIds }, owner.token);
  }

  /** The conversation as `me` sees it (`last_seq`, members…). */
  async getConversation(me: BenchUser, conversationId: string): Promise<ConversationView> {
    const res = await fetch(`${this.baseUrl}/api/v1/conversations/${conversationId}`, { headers: { authorization: `Bearer ${me.token}` } });
    if (!res.ok) throw new ApiError(res.status, 'unknown', `GET conversation → ${res.status}: ${await res.text()}`);
    return (await res.json()) as ConversationView;
  }

  /** Retries a request the server rate-limited, after the `retry_after` it asked for. */
  private async post<T>(path: string, body: unknown, token?: string): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.postOnce<T>(path, body, token);
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== 'rate_limited' || attempt >= 20) throw err;
        this.rateLimited++;
        await new Promise((r) => setTimeout(r, Math.max(0.1, Math.min(err.retryAfter ?? 1, 5)) * 1000));
      }
    }
  }

  private async postOnce<T>(path: string, body: unknown, token?: string): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${this.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) {
      let code = 'unknown';
      let message = text;
      let retryAfter: number | undefined;
      try {
        const err = (JSON.parse(text) as ErrorBody).error;
        code = err.code;
        message = err.message;
        retryAfter = err.retry_after;
      } catch {
        // not the error shape: keep the raw text
      }
      throw new ApiError(res.status, code, `POST ${path} → ${res.status} ${code}: ${message}`, retryAfter);
    }
    return JSON.parse(text) as T;
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
