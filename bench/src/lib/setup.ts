import { randomBytes } from 'node:crypto';
import { Api, mapLimit, type BenchUser } from './api.ts';

/**
 * Registers `count` users, spreading the requests over every instance (each
 * hashes passwords with argon2id on its own thread pool), `perInstance` at a
 * time on each. Names carry a per-run tag.
 */
export async function registerMany(baseUrls: string[], count: number, perInstance = 4, log?: (msg: string) => void): Promise<BenchUser[]> {
  const tag = randomBytes(3).toString('hex');
  const apis = baseUrls.map((u) => new Api(u));
  let done = 0;
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    perInstance * apis.length,
    async (i) => {
      const user = await apis[i % apis.length]!.register(`b${tag}_${i}`, 'bench-password');
      if (++done % 500 === 0) log?.(`  ${done}/${count} users`);
      return user;
    },
  );
}

/** Creates a group of `owner` + `members` (at most 1000 in all): the first 999 in the create request, the rest 100 at a time. */
export async function createGroup(api: Api, owner: BenchUser, members: BenchUser[], title: string): Promise<string> {
  const ids = members.filter((m) => m.id !== owner.id).map((m) => m.id);
  const id = await api.createGroup(owner, ids.slice(0, 999), title);
  const rest = ids.slice(999);
  for (let i = 0; i < rest.length; i += 100) await api.addMembers(owner, id, rest.slice(i, i + 100));
  return id;
}
