import { beforeAll, expect, it } from 'vitest';
import type { EventEnvelope, ModerationItemView } from '@parley/protocol';
import { api, connect, createConversation, register, textMessage, type TestServer, type TestUser } from '../support/harness.ts';
import { eventually } from '../support/eventually.ts';
import { uploadFile } from '../support/tus.ts';
import type { TestSocket } from '../support/test-socket.ts';
import type { Database } from '../../src/store/database.ts';
import { deliver } from '../../src/consumers/event-consumer.ts';

type Frame = Record<string, any>;

/**
 * A moderation hide is a change entry of the conversation's log: every
 * member's view shows the message removed (pushed live, replayed by sync),
 * search and attachment downloads stop finding it, a restore brings it back,
 * a confirm removes its files. Run by the moderation suite on its feed.
 */
export function hidingSuite(fixture: () => { server: TestServer; db: Database; operator: TestUser }, options: { timeoutMs: number }): void {
  let server: TestServer, db: Database, operator: TestUser;
  let alice: TestUser, bob: TestUser, carol: TestUser;
  let group: { id: string };
  let alices: TestSocket;
  const wait = { timeoutMs: options.timeoutMs, intervalMs: 50 };
  const WORD = 'zorblaxian';

  beforeAll(async () => {
    ({ server, db, operator } = fixture());
    [alice, bob, carol] = [await register(server.url, 'alice'), await register(server.url, 'bob'), await register(server.url, 'carol')];
    group = await createConversation(server.url, bob, [alice, carol, operator], 'group');
    expect((await api(server.url, 'POST', '/api/v1/admin/moderation/rules', { token: operator.token, body: { kind: 'word', pattern: WORD } })).status).toBe(201);
  });

  const get = (user: TestUser, path: string) => api(server.url, 'GET', path, { token: user.token });
  const history = async (user: TestUser) => (await get(user, `/api/v1/conversations/${group.id}/messages?limit=200`)).body.messages as Frame[];
  const searchHits = async (user: TestUser) => (await get(user, `/api/v1/search?q=${WORD}`)).body.results as Frame[];
  const changesOf = async (seq: number, change: string) =>
    (await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND target_seq = $2 AND kind = 'change' AND content->>'change' = $3`,
      [group.id, seq, change],
    ))[0]!.n;
  const act = (itemId: string, action: string) =>
    api<ModerationItemView>(server.url, 'POST', `/api/v1/admin/moderation/queue/${itemId}/actions`, { token: operator.token, body: { action } });
  const changeFor = (messageId: string, change: string) => (f: Frame) =>
    f.type === 'message' && f.message.type === 'change' && f.message.change === change && f.message.target_id === messageId;
  const stored = async (attachmentId: string) => {
    const [row] = await db.query<{ object_key: string }>('SELECT object_key FROM attachments WHERE id = $1', [attachmentId]);
    return row ? (await server.parley.attachments.store.stat(row.object_key)) !== null : false;
  };

  let sent: { seq: number; message_id: string }, attachmentId: string, carolCursor: number;

  it('hides a blocked word for every member: pushed to an online one, replayed to an offline one, gone from history, search and downloads', async () => {
    alices = await connect(server, alice);
    carolCursor = (await db.query<{ last_seq: number }>('SELECT last_seq FROM conversations WHERE id = $1', [group.id]))[0]!.last_seq;
    attachmentId = await uploadFile(server.url, bob.token, group.id, 'evidence.txt', Buffer.from('the attached file'));
    await eventually(async () => expect((await get(alice, `/api/v1/attachments/${attachmentId}`)).body.status).toBe('clean'), wait);
    const res = await api(server.url, 'POST', `/api/v1/conversations/${group.id}/messages`, {
      token: bob.token,
      body: { ...textMessage(`buy ${WORD.toUpperCase()} pills`), attachments: [{ id: attachmentId }] },
    });
    expect(res.status).toBe(201);
    sent = res.body;

    // Alice is online: the hide entry is pushed to her, and says nothing of the text.
    const pushed = await alices.next(changeFor(sent.message_id, 'hidden'), options.timeoutMs);
    expect(pushed).toMatchObject({ message: { type: 'change', change: 'hidden', target_seq: sent.seq } });
    expect(JSON.stringify(pushed)).not.toContain(WORD);

    // Every member's history (the author's too) shows it removed: no text, no attachments.
    for (const user of [alice, bob, operator]) {
      const view = (await history(user)).find((m) => m.seq === sent.seq)!;
      expect(view.message.type, user.username).toBe('hidden');
      expect(view.hidden_at).toBeDefined();
      expect(view.last_change_seq).toBe(pushed.seq);
    }
    expect(JSON.stringify(await history(alice)).toLowerCase()).not.toContain(WORD);
    // The conversation list's last message, and search, find nothing of it.
    expect(JSON.stringify((await get(alice, '/api/v1/conversations')).body).toLowerCase()).not.toContain(WORD);
    expect(await searchHits(alice)).toEqual([]);
    expect(await searchHits(bob)).toEqual([]);
    // Its attachment is not served while hidden: the same 404 as a missing one. The file stays in storage.
    for (const path of [`/api/v1/attachments/${attachmentId}/content`, `/api/v1/attachments/${attachmentId}`]) {
      const download = await get(alice, path);
      expect([download.status, download.body.error?.code]).toEqual([404, 'not_found']);
    }
    expect(await stored(attachmentId)).toBe(true);
    // Nobody may edit or react to it while hidden.
    const edit = await api(server.url, 'POST', `/api/v1/conversations/${group.id}/messages/${sent.seq}/edits`, {
      token: bob.token,
      body: { text: 'innocent now', client_msg_id: crypto.randomUUID() },
    });
    expect([edit.status, edit.body.error.code]).toEqual([409, 'message_hidden']);

    // Carol was offline: her sync replays the message already removed, and the hide entry after it.
    const carols = await connect(server, carol);
    try {
      const synced: Frame = await carols.request({ type: 'sync', cursors: { [group.id]: carolCursor } });
      const replayed = (carols.messages(group.id) as Frame[]).filter((f) => f.seq > carolCursor && f.seq <= synced.cursors[group.id]);
      expect(replayed.find((f) => f.seq === sent.seq)).toMatchObject({ message: { type: 'hidden' } });
      expect(replayed.some(changeFor(sent.message_id, 'hidden'))).toBe(true);
      expect(JSON.stringify(replayed).toLowerCase()).not.toContain(WORD);
    } finally {
      carols.close();
    }
  });

  it('writes one hide entry however often the event comes or the operator confirms', async () => {
    // The event handled again (its dedupe row gone, as after the dedupe window): no second entry.
    const [row] = await db.query<EventEnvelope>(
      `SELECT event_id, type, schema_version, key, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at, payload
         FROM outbox WHERE type = 'message.created' AND payload->>'message_id' = $1`,
      [sent.message_id],
    );
    if (row) {
      await db.query("DELETE FROM consumer_events WHERE consumer = 'moderation' AND event_id = $1", [row.event_id]);
      const consumer = server.parley.consumers.consumers.find((c) => c.name === 'moderation')!;
      expect(await deliver(db, consumer, row)).toBe(true);
    }
    const item = (await api<{ items: ModerationItemView[] }>(server.url, 'GET', '/api/v1/admin/moderation/queue?status=all&limit=200', { token: operator.token })).body.items.find(
      (i) => i.message_id === sent.message_id,
    )!;
    // A warn keeps it hidden: it was already, so nothing is written (its files stay: only a confirm removes them).
    expect((await act(item.id, 'warn')).body).toMatchObject({ status: 'warned', hidden: true });
    expect(await changesOf(sent.seq, 'hidden')).toBe(1);
    expect(await db.query("SELECT 1 FROM outbox WHERE type = 'message.hidden' AND payload->>'message_id' = $1", [sent.message_id])).toHaveLength(1);
  });

  it('an operator restore brings it back for everyone, live and in history, search and downloads; once', async () => {
    const item = (await api<{ items: ModerationItemView[] }>(server.url, 'GET', '/api/v1/admin/moderation/queue?status=all&limit=200', { token: operator.token })).body.items.find(
      (i) => i.message_id === sent.message_id,
    )!;
    expect((await act(item.id, 'restore')).body).toMatchObject({ status: 'restored', hidden: false });
    expect((await act(item.id, 'restore')).status).toBe(200);
    const pushed: Frame = await alices.next(changeFor(sent.message_id, 'restored'), options.timeoutMs);
    expect(pushed.message.restored).toMatchObject({ type: 'text', text: `buy ${WORD.toUpperCase()} pills`, attachments: [{ id: attachmentId }] });
    expect(await changesOf(sent.seq, 'restored')).toBe(1);
    for (const user of [alice, carol]) {
      const view = (await history(user)).find((m) => m.seq === sent.seq)!;
      expect(view.message).toMatchObject({ type: 'text', text: `buy ${WORD.toUpperCase()} pills` });
      expect(view.hidden_at).toBeUndefined();
    }
    expect((await searchHits(carol)).map((r) => r.message_id)).toEqual([sent.message_id]);
    const download = await fetch(`${server.url}/api/v1/attachments/${attachmentId}/content`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect([download.status, await download.text()]).toEqual([200, 'the attached file']);
  });

  it('an operator confirm hides it again and removes its files from storage; a second confirm writes nothing', async () => {
    const item = (await api<{ items: ModerationItemView[] }>(server.url, 'GET', '/api/v1/admin/moderation/queue?status=all&limit=200', { token: operator.token })).body.items.find(
      (i) => i.message_id === sent.message_id,
    )!;
    expect((await act(item.id, 'confirm')).body).toMatchObject({ status: 'confirmed', hidden: true });
    await alices.next((f) => changeFor(sent.message_id, 'hidden')(f) && (f.seq as number) > sent.seq + 2, options.timeoutMs);
    expect(await stored(attachmentId)).toBe(false);
    expect((await act(item.id, 'confirm')).status).toBe(200);
    expect(await changesOf(sent.seq, 'hidden')).toBe(2);
    // The restore entry's copy of the text went with the second hide: a sync replays nothing of it.
    const entries = await db.query<{ content: unknown }>("SELECT content FROM messages WHERE conversation_id = $1 AND kind = 'change'", [group.id]);
    expect(JSON.stringify(entries).toLowerCase()).not.toContain(WORD);
    expect(JSON.stringify(await history(carol)).toLowerCase()).not.toContain(WORD);
  });

  it('lets the author delete a hidden message: it is then deleted for everyone, and a restore brings nothing back', async () => {
    const del = await api(server.url, 'DELETE', `/api/v1/conversations/${group.id}/messages/${sent.seq}`, { token: bob.token });
    expect(del.status).toBe(201);
    const view = (await history(alice)).find((m) => m.seq === sent.seq)!;
    expect(view.message.type).toBe('deleted');
    expect(view.hidden_at).toBeUndefined();
    const item = (await api<{ items: ModerationItemView[] }>(server.url, 'GET', '/api/v1/admin/moderation/queue?status=all&limit=200', { token: operator.token })).body.items.find(
      (i) => i.message_id === sent.message_id,
    )!;
    expect((await act(item.id, 'restore')).status).toBe(200);
    expect(await changesOf(sent.seq, 'restored')).toBe(1);
    expect((await history(alice)).find((m) => m.seq === sent.seq)!.message.type).toBe('deleted');
    alices.close();
  });
}
