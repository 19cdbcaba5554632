import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConversationId, MessageView } from '@parley/protocol';
import { ParleyClient, type ParleyClientOptions } from '../src/client.ts';
import { FileCursorStore } from '../src/cursor-stores/file-cursor-store.ts';
import type { SessionData } from '../src/session.ts';
import { eventually } from './support/eventually.ts';
import { useRealServer } from './support/real-server.ts';

/**
 * Restart-safe clients against the real server (PGlite): a client that is
 * closed (or dropped) and started again with the same cursor store is handed
 * what it missed, in order, once, each marked `replayed`; live entries are not.
 */
describe('a restarted client resumes from its saved cursors', () => {
  const real = useRealServer();

  function open(options: Partial<ParleyClientOptions> = {}): ParleyClient {
    const client = real.client(options);
    client.on('error', () => {});
    return client;
  }

  async function pair(): Promise<{ alice: ParleyClient; bobSession: SessionData; conversation: ConversationId }> {
    const alice = open();
    const bob = open();
    await alice.register({ username: real.username('alice'), password: 'correct horse battery' });
    const bobUser = await bob.register({ username: real.username('bob'), password: 'correct horse battery' });
    const conversation = (await alice.createDirect(bobUser.id)).id;
    const bobSession = bob.sessionData!;
    await bob.close();
    alice.connect();
    await alice.connected();
    return { alice, bobSession, conversation };
  }

  async function sendAll(alice: ParleyClient, conversation: ConversationId, texts: string[]): Promise<void> {
    for (const text of texts) await alice.send(conversation, text);
  }

  type Handed = { seq: number; text: string; replayed: boolean };
  function handed(client: ParleyClient, conversation: ConversationId): Handed[] {
    const seen: Handed[] = [];
    client.on('entry', ({ conversationId, entry, replayed }) => {
      if (conversationId === conversation) seen.push({ seq: entry.seq, text: textOf(entry), replayed });
    });
    return seen;
  }
  const textOf = (m: MessageView) => (m.message.type === 'text' ? m.message.text : m.message.type === 'system' ? `[${m.message.event}]` : `[${m.message.type}]`);

  it('hands over what was sent while it was down, once, in order, marked replayed; then live entries unmarked', async () => {
    const { alice, bobSession, conversation } = await pair();
    const path = join(real.dir, 'cursors.json');

    const first = open({ session: bobSession, cursors: new FileCursorStore(path) });
    const firstSeen = handed(first, conversation);
    first.connect();
    await first.connected();
    await sendAll(alice, conversation, ['one', 'two']);
    await eventually(() => expect(firstSeen.map((h) => h.text)).toEqual(['one', 'two']));
    expect(firstSeen.every((h) => !h.replayed)).toBe(true);
    const session = first.sessionData!;
    await first.close();

    const missed = Array.from({ length: 30 }, (_, i) => `missed ${i + 1}`);
    await sendAll(alice, conversation, missed);

    const second = open({ session, cursors: new FileCursorStore(path), startFrom: 'saved' });
    const secondSeen = handed(second, conversation);
    second.connect();
    await second.connected();
    await eventually(() => expect(secondSeen).toHaveLength(30));
    expect(secondSeen.map((h) => h.text)).toEqual(missed);
    expect(secondSeen.map((h) => h.seq)).toEqual(missed.map((_, i) => i + 3));
    expect(secondSeen.every((h) => h.replayed)).toBe(true);

    await alice.send(conversation, 'live again');
    await eventually(() => expect(secondSeen).toHaveLength(31));
    expect(secondSeen[30]).toEqual({ seq: 33, text: 'live again', replayed: false });
    await second.close();
    expect(await new FileCursorStore(path).load()).toEqual({ [conversation]: 33 });
  });

  it('pages a long absence (more than a sync page) and still hands over each entry once, in order', async () => {
    const { alice, bobSession, conversation } = await pair();
    const path = join(real.dir, 'cursors-long.json');
    const first = open({ session: bobSession, cursors: new FileCursorStore(path) });
    first.connect();
    await first.connected();
    await alice.send(conversation, 'before');
    await eventually(async () => expect(await new FileCursorStore(path).load()).toEqual({ [conversation]: 1 }));
    const session = first.sessionData!;
    // Dropped rather than closed: the cursor file is what a killed process leaves.
    first.disconnect();

    const missed = Array.from({ length: 130 }, (_, i) => `m${i}`);
    await sendAll(alice, conversation, missed);
    const second = open({ session, cursors: new FileCursorStore(path) });
    const seen = handed(second, conversation);
    second.connect();
    await eventually(() => expect(seen).toHaveLength(130), { timeoutMs: 20_000 });
    expect(seen.map((h) => h.text)).toEqual(missed);
  });

  it('starts from a chosen seq, or from the latest entry, ignoring saved cursors', async () => {
    const { alice, bobSession, conversation } = await pair();
    await sendAll(alice, conversation, ['a', 'b', 'c', 'd']);

    const fromSeq = open({ session: bobSession, startFrom: { [conversation]: 2 } });
    const fromSeqSeen = handed(fromSeq, conversation);
    fromSeq.connect();
    await eventually(() => expect(fromSeqSeen.map((h) => h.text)).toEqual(['c', 'd']));

    const path = join(real.dir, 'cursors-latest.json');
    await new FileCursorStore(path).save(conversation, 0);
    const latest = open({ session: fromSeq.sessionData!, cursors: new FileCursorStore(path), startFrom: 'latest' });
    const latestSeen = handed(latest, conversation);
    latest.connect();
    await latest.connected();
    await eventually(() => expect(latest.conversation(conversation)?.cursor).toBe(4));
    await alice.send(conversation, 'e');
    await eventually(() => expect(latestSeen.map((h) => h.text)).toEqual(['e']));
    await latest.close();
    // What it was handed is saved even when it did not start from the store.
    expect(await new FileCursorStore(path).load()).toEqual({ [conversation]: 5 });
  });
});
