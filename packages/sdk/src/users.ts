import type { MemberView, UserId, UserView } from '@parley/protocol';
import { asParleyError } from './errors.ts';

export interface UserDirectoryOptions {
  /** One user by id from the server (`RestClient.getUser`). */
  fetchUser(id: UserId): Promise<UserView>;
  /** The members of every conversation the client holds, looked through first. */
  members(): Iterable<MemberView>;
  /** Users just fetched, to tell the application (the client's `users` event). */
  onLoaded(users: UserView[]): void;
}

/**
 * People the client can name by id. A conversation's member list names only
 * its current members, while its history also names people who left or were
 * removed: those are found among the members of the client's other
 * conversations, else fetched once from the server and kept.
 */
export class UserDirectory {
  /** Fetched users; null for an id the server does not know. */
  private readonly fetched = new Map<UserId, UserView | null>();
  private readonly inFlight = new Set<UserId>();
  private generation = 0;

  constructor(private readonly options: UserDirectoryOptions) {}

  /** The user, if known without asking the server. */
  get(id: UserId): UserView | undefined {
    const fetched = this.fetched.get(id);
    if (fetched) return fetched;
    for (const member of this.options.members()) {
      if (member.id === id) return { id: member.id, username: member.username, display_name: member.display_name };
    }
    return undefined;
  }

  /**
   * Fetches those of `ids` not known yet (each once, however often asked).
   * A failed request (offline, say) is not remembered, so a later call tries
   * again; an unknown user is.
   */
  async load(ids: Iterable<UserId>): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.fetched.has(id) && !this.inFlight.has(id) && this.get(id) === undefined);
    if (wanted.length === 0) return;
    const generation = this.generation;
    for (const id of wanted) this.inFlight.add(id);
    const results = await Promise.all(
      wanted.map((id) =>
        this.options.fetchUser(id).then(
          (user) => ({ id, user: user as UserView | null }),
          (err: unknown) => ({ id, user: asParleyError(err).code === 'user_not_found' ? null : undefined }),
        ),
      ),
    );
    // Signed out (or in as someone else) meanwhile: these belong to nobody now.
    if (generation !== this.generation) return;
    const loaded: UserView[] = [];
    for (const { id, user } of results) {
      this.inFlight.delete(id);
      if (user === undefined) continue;
      this.fetched.set(id, user);
      if (user) loaded.push(user);
    }
    if (loaded.length > 0) this.options.onLoaded(loaded);
  }

  reset(): void {
    this.generation++;
    this.fetched.clear();
    this.inFlight.clear();
  }
}
