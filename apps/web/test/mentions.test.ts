import type { MemberView } from '@parley/protocol';
import type { ConversationSnapshot } from '@parley/sdk';
import { describe, expect, it } from 'vitest';
import { mentionCandidates, mentionedNames, mentionQueryAt } from '../src/lib/mentions.ts';

const member = (id: string, username: string, display_name: string, role: 'admin' | 'member' = 'member'): MemberView =>
  ({ id, username, display_name, role, delivered_seq: 0, read_seq: 0 }) as MemberView;

function group(everyone_policy: 'admins' | 'members', type: 'group' | 'direct' = 'group'): ConversationSnapshot {
  return {
    type,
    members: [member('me', 'meg', 'Meg Me'), member('a', 'zed_ann', 'Ann Archer', 'admin'), member('b', 'bob', 'Bob Annison'), member('c', 'carl', 'Carl'), member('e', 'ann_e', 'Zoe')],
    settings: { pin_policy: 'admins', everyone_policy },
  } as unknown as ConversationSnapshot;
}
const usernames = (conversation: ConversationSnapshot, query: string) => mentionCandidates(conversation, 'me', query).map((c) => c.username);

describe('mention autocomplete', () => {
  it('finds the @name the caret ends, only at the start of a word', () => {
    expect(mentionQueryAt('hi @an', 6)).toEqual({ start: 3, query: 'an' });
    expect(mentionQueryAt('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQueryAt('hi @an there', 12)).toBeNull();
    expect(mentionQueryAt('mail ann@example', 16)).toBeNull();
    expect(mentionQueryAt('(@bo', 4)).toEqual({ start: 1, query: 'bo' });
    expect(mentionQueryAt(`@${'a'.repeat(33)}`, 34)).toBeNull();
  });

  it('offers other members by username, display name or a word of it (usernames first), never me', () => {
    // Zoe by her username first, then "Ann Archer" by her display name and "Bob Annison" by a word of his.
    expect(usernames(group('members'), 'ann')).toEqual(['ann_e', 'zed_ann', 'bob']);
    expect(usernames(group('members'), 'BO')).toEqual(['bob']);
    expect(usernames(group('members'), 'me')).toEqual([]);
    expect(usernames(group('members'), 'zed')).toEqual(['zed_ann']);
    expect(usernames(group('members'), '')).toEqual(['zed_ann', 'bob', 'carl', 'ann_e', 'everyone']);
  });

  it('offers @everyone in a group unless only admins may say it and I am not one; never in a direct chat', () => {
    expect(usernames(group('members'), 'ev')).toEqual(['everyone']);
    expect(usernames(group('admins'), 'ev')).toEqual([]);
    const admin = group('admins');
    expect(mentionCandidates(admin, 'a', 'ev').map((c) => c.username)).toEqual(['everyone']);
    expect(usernames(group('members', 'direct'), 'ev')).toEqual([]);
  });

  it('names what a message mentions, by username, with everyone', () => {
    const names = mentionedNames({ user_ids: ['a', 'gone'], everyone: true }, (id) => (id === 'a' ? 'zed_ann' : undefined));
    expect([...(names ?? [])]).toEqual(['everyone', 'zed_ann']);
    expect(mentionedNames(undefined, () => 'x')).toBeUndefined();
  });
});
