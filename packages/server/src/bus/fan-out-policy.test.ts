import { expect, it } from 'vitest';
import { FanOutPolicy } from './fan-out-policy.ts';

const policy = new FanOutPolicy(3, async (userId, threshold) => (userId === 'u1' && threshold === 3 ? ['big'] : []));

it('publishes a small conversation per member and a large room once on its channel', () => {
  expect(policy.channelsFor('c', ['a', 'b'])).toEqual(['user:a', 'user:b']);
  expect(policy.channelsFor('c', ['a', 'b', 'c'])).toEqual(['room:c']);
  // Members not loaded: the writer skips them for large rooms.
  expect(policy.channelsFor('c', null)).toEqual(['room:c']);
});

it('gives a socket its user channel and its large rooms, and tells members to follow a room as it grows or they leave', async () => {
  expect(await policy.channelsOf('u1')).toEqual(['user:u1', 'room:big']);
  expect(await policy.channelsOf('u2')).toEqual(['user:u2']);
  expect(policy.roomChannelsAmong(['user:u1', 'room:big', 'presence:u3'])).toEqual(['room:big']);
  expect(policy.membershipControl('c', 2)).toEqual({ type: 'room', conversationId: 'c', listen: false });
  expect(policy.membershipControl('c', 3)).toEqual({ type: 'room', conversationId: 'c', listen: true });
  expect(policy.membershipControl('c', null)).toEqual({ type: 'room', conversationId: 'c', listen: false });
});
