import type { ConversationView } from '@parley/protocol';

/** A conversation as the server lists it: an empty direct chat of two, unless `over` says otherwise (unit tests). */
export const conversationView = (over: Partial<ConversationView> = {}): ConversationView => ({
  id: 'c',
  type: 'direct',
  title: null,
  description: null,
  members: [],
  member_count: 2,
  last_seq: 0,
  read_seq: 0,
  delivered_seq: 0,
  unread_count: 0,
  mention_count: 0,
  settings: { pin_policy: 'admins', everyone_policy: 'members' },
  last_message: null,
  created_at: '2030-01-01T00:00:00.000Z',
  ...over,
});
