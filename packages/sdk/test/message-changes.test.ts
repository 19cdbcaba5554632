import { describe, expect, it } from 'vitest';
import type { ConversationId, MessageView } from '@parley/protocol';
import { ParleyClient } from '../src/client.ts';
import { eventually } from './support/eventually.ts';
import { useRealServer } from './support/real-server.ts';

/** Edits, deletes, reactions and replies through the SDK, against the real server (PGlite in memory). */
describe('message changes against the real server', () => {
  const real = useRealServer();
  const registered = (name: string) => real.registered(name, { connect: true });
  const view = (m: MessageView) => ({
    seq: m.seq,
    text: m.message.type === 'text' ? m.message.text : m.message.type,
    edited: m.edited_at !== undefined,
    reactions: (m.reactions ?? []).map((r) => `${r.emoji}${r.count}`).join(','),
    quote: m.reply_to?.text ?? null,
  });
  const shown = (client: ParleyClient, id: ConversationId) => client.messages(id).map(view);

  it('shows edits, deletes, reactions and quoted replies in order, live and after an absence', async () => {
    const [alice, bob] = await Promise.all([registered('alice'), registered('bob')]);
    const conv = await alice.createDirect(bob.user!.id);
    await eventually(() => expect(bob.conversation(conv.id)).toBeDefined());
    alice.send(conv.id, 'draft');
    alice.send(conv.id, 'oops');
    await eventually(() => expect(shown(bob, conv.id).map((m) => m.text)).toEqual(['draft', 'oops']));

    // Live: a reply quoting the first message, an edit of it, a reaction.
    bob.send(conv.id, 'looks good', { replyTo: 1 });
    await eventually(() => expect(shown(alice, conv.id)[2]).toMatchObject({ text: 'looks good', quote: 'draft' }));
    await alice.editMessage(conv.id, 1, 'final');
    await bob.react(conv.id, 1, '👍');
    const live = [
      { seq: 1, text: 'final', edited: true, reactions: '👍1', quote: null },
      { seq: 2, text: 'oops', edited: false, reactions: '', quote: null },
      { seq: 3, text: 'looks good', edited: false, reactions: '', quote: 'final' },
    ];
    await eventually(() => expect(shown(bob, conv.id)).toEqual(live));
    await eventually(() => expect(shown(alice, conv.id)).toEqual(live));

    // Bob goes away; Alice deletes and edits, and takes Bob's side of nothing: Bob learns it all on his return.
    bob.disconnect();
    await alice.deleteMessage(conv.id, 2);
    await alice.editMessage(conv.id, 1, 'final v2');
    await alice.react(conv.id, 3, '🎉');
    bob.connect();
    await bob.connected();
    const after = [
      { seq: 1, text: 'final v2', edited: true, reactions: '👍1', quote: null },
      { seq: 2, text: 'deleted', edited: false, reactions: '', quote: null },
      { seq: 3, text: 'looks good', edited: false, reactions: '🎉1', quote: 'final v2' },
    ];
    await eventually(() => expect(shown(bob, conv.id)).toEqual(after));
    expect(shown(alice, conv.id)).toEqual(after);
    // The server's history (what a fresh device reads) has the same end state.
    const history = (await bob.api.history(conv.id, { after_seq: 0, limit: 50 })).messages;
    expect(history.filter((m) => m.message.type !== 'change').map(view)).toEqual(after);
  });

  it('rolls an optimistic change back when the server refuses it', async () => {
    const [alice, bob] = await Promise.all([registered('alice'), registered('bob')]);
    const conv = await alice.createDirect(bob.user!.id);
    alice.send(conv.id, 'mine');
    await eventually(() => expect(shown(bob, conv.id).map((m) => m.text)).toEqual(['mine']));
    const seen: string[] = [];
    bob.on('message', ({ entry }) => entry.seq === 1 && seen.push(view(entry).text));
    await expect(bob.editMessage(conv.id, 1, 'not yours')).rejects.toMatchObject({ code: 'forbidden' });
    // Shown at once, then rolled back.
    expect(seen).toEqual(['not yours', 'mine']);
    expect(shown(bob, conv.id)[0]).toMatchObject({ text: 'mine', edited: false });
    await expect(bob.react(conv.id, 1, 'nope')).rejects.toMatchObject({ code: 'invalid_emoji' });
    await expect(bob.deleteMessage(conv.id, 1)).rejects.toMatchObject({ code: 'forbidden' });
    expect(shown(bob, conv.id)[0]).toMatchObject({ text: 'mine' });
  });
});

/** Moderation's hidden / restored entries through the SDK: live, and learned by sync after an absence. */
describe('moderation hides and restores against the real server', () => {
  const real = useRealServer();
  const registered = (name: string) => real.registered(name, { connect: true });
  const texts = (client: ParleyClient, id: ConversationId) => client.messages(id).map((m) => (m.message.type === 'text' ? m.message.text : m.message.type));

  it('applies hidden and restored in log order, live and from sync after an absence', async () => {
    // The first account registered is the server's operator.
    const op = await registered('op');
    const alice = await registered('alice');
    const bob = await registered('bob');
    expect(await op.api.me()).toMatchObject({ is_operator: true });
    expect(await alice.api.me()).toMatchObject({ is_operator: false });
    await op.api.adminAddRule({ kind: 'word', pattern: 'blargh' });
    const conv = await alice.createDirect(bob.user!.id);
    await eventually(() => expect(bob.conversation(conv.id)).toBeDefined());
    alice.send(conv.id, 'hello');
    await eventually(() => expect(texts(bob, conv.id)).toEqual(['hello']));

    // Bob is away while the rule hides Alice's message; Alice sees it go live, Bob on his return.
    bob.disconnect();
    alice.send(conv.id, 'blargh!');
    await eventually(() => expect(texts(alice, conv.id)).toEqual(['hello', 'hidden']));
    bob.connect();
    await bob.connected();
    await eventually(() => expect(texts(bob, conv.id)).toEqual(['hello', 'hidden']));

    // The operator restores it: both see it again, live.
    const item = (await op.api.adminQueue({ status: 'all' })).find((i) => i.reason === 'word')!;
    await op.api.adminAct(item.id, { action: 'restore' });
    await eventually(() => expect(texts(bob, conv.id)).toEqual(['hello', 'blargh!']));
    await eventually(() => expect(texts(alice, conv.id)).toEqual(['hello', 'blargh!']));

    // Away again while the operator confirms it: hidden, restored, hidden replayed in order end hidden.
    bob.disconnect();
    await op.api.adminAct(item.id, { action: 'confirm' });
    bob.connect();
    await bob.connected();
    await eventually(() => expect(texts(bob, conv.id)).toEqual(['hello', 'hidden']));

    // A member's report reaches the operator's queue, with its reason.
    await bob.api.reportMessage(conv.id, 1, 'just testing');
    await expect(bob.api.reportMessage(conv.id, 1)).rejects.toMatchObject({ code: 'already_reported' });
    expect((await op.api.adminQueue()).find((i) => i.source === 'report')).toMatchObject({ note: 'just testing', message_text: 'hello' });
  });
});

