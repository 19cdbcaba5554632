import type { MemberView, UserView } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ParleyError } from './errors.ts';
import { UserDirectory } from './users.ts';

const ada: UserView = { id: 'a', username: 'ada', display_name: 'Ada' };
const ben: MemberView = { id: 'b', username: 'ben', display_name: 'Ben', role: 'member', delivered_seq: 0, read_seq: 0 };

function directory(fetchUser: (id: string) => Promise<UserView>) {
  const asked: string[] = [];
  const loaded: UserView[][] = [];
  const users = new UserDirectory({
    fetchUser: (id) => {
      asked.push(id);
      return fetchUser(id);
    },
    members: () => [ben],
    onLoaded: (list) => loaded.push(list),
  });
  return { users, asked, loaded };
}

describe('UserDirectory', () => {
  it('names members of held conversations without asking, and fetches anyone else once', async () => {
    const { users, asked, loaded } = directory(async (id) => (id === 'a' ? ada : Promise.reject(new ParleyError('user_not_found', 'no'))));
    expect(users.get('b')).toEqual({ id: 'b', username: 'ben', display_name: 'Ben' });
    expect(users.get('a')).toBeUndefined();
    await Promise.all([users.load(['a', 'b', 'x']), users.load(['a'])]);
    expect(users.get('a')).toEqual(ada);
    expect(loaded).toEqual([[ada]]);
    await users.load(['a', 'x']);
    expect(asked).toEqual(['a', 'x']);
  });

  it('asks again after a failed request, and forgets everything on reset', async () => {
    let online = false;
    const { users, asked } = directory(async () => (online ? ada : Promise.reject(new ParleyError('network_error', 'offline'))));
    await users.load(['a']);
    expect(users.get('a')).toBeUndefined();
    online = true;
    await users.load(['a']);
    expect(users.get('a')).toEqual(ada);
    users.reset();
    expect(users.get('a')).toBeUndefined();
    expect(asked).toEqual(['a', 'a']);
  });
});
