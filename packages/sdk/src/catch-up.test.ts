import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerFrame } from '@parley/protocol';
import { conversationView } from '../test/support/views.ts';
import { CatchUp } from './catch-up.ts';
import { ConversationStore } from './conversation-store.ts';
import { ParleyError } from './errors.ts';
import type { OutgoingFrame } from './socket.ts';

const view = conversationView({ id: '00000000-0000-4000-8000-000000000001' });

/** A CatchUp over a transport that answers `sync` with each of `replies` in turn (an error is thrown). */
function catchUp(replies: Array<ParleyError | ServerFrame>) {
  const store = new ConversationStore();
  store.me = 'me';
  store.upsertView(view);
  const requests: OutgoingFrame[] = [];
  const errors: ParleyError[] = [];
  const transport = {
    state: 'connected' as const,
    async request(frame: OutgoingFrame): Promise<ServerFrame> {
      requests.push(frame);
      const reply = replies.shift() ?? { type: 'synced', limited: false, cursors: {}, removed: [] };
      if (reply instanceof ParleyError) throw reply;
      return reply;
    },
  };
  const api = { history: vi.fn(), listConversations: async () => [view], getConversation: async () => view };
  const sync = new CatchUp({ transport, api, store, ingest: () => {}, onError: (err) => errors.push(err) });
  return { sync, requests, errors };
}

const limited = (retryAfter: number) => new ParleyError('rate_limited', 'too many sync; slow down', { retryAfter });

describe('CatchUp sync when rate limited', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits retry_after, then syncs again rather than giving up', async () => {
    vi.useFakeTimers();
    const { sync, requests, errors } = catchUp([limited(2)]);
    const done = sync.resume();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(requests).toHaveLength(2);
    expect(requests[1]).toEqual(requests[0]);
    expect(errors).toEqual([]);
  });

  it('keeps waiting as long as the server keeps limiting, without counting it as a failure', async () => {
    vi.useFakeTimers();
    const { sync, requests, errors } = catchUp([limited(1), limited(1), limited(1), limited(1), limited(1)]);
    const done = sync.resume();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(requests).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(requests).toHaveLength(6);
    expect(errors).toEqual([]);
  });

  it('stops waiting when reset (logout, close) and sends nothing more', async () => {
    vi.useFakeTimers();
    const { sync, requests } = catchUp([limited(60)]);
    const done = sync.resume();
    await vi.advanceTimersByTimeAsync(10);
    sync.reset();
    await done;
    expect(vi.getTimerCount()).toBe(0);
    expect(requests).toHaveLength(1);
  });
});
