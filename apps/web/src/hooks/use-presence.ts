import type { UserId } from '@parley/protocol';
import type { ParleyClient, PresenceInfo } from '@parley/sdk';
import { useEffect, useState } from 'react';

/** A user's presence as last reported (undefined until the server says). Subscribe with {@link usePresenceSubscription}. */
export function usePresence(client: ParleyClient, userId: UserId | null): PresenceInfo | undefined {
  const [info, setInfo] = useState(() => (userId ? client.presenceOf(userId) : undefined));
  useEffect(() => {
    setInfo(userId ? client.presenceOf(userId) : undefined);
    if (!userId) return;
    return client.on('presence', (next) => {
      if (next.userId === userId) setInfo(next);
    });
  }, [client, userId]);
  return info;
}

/**
 * Asks for presence of these users. The SDK sends only users it has not asked
 * about and asks again after each reconnect; the ids are gathered for a moment
 * first so that a conversation list arriving piece by piece costs one frame.
 */
export function usePresenceSubscription(client: ParleyClient, userIds: readonly UserId[]): void {
  const key = [...new Set(userIds)].sort().join(',');
  useEffect(() => {
    if (!key) return;
    const timer = setTimeout(() => client.subscribePresence(key.split(',')), 300);
    return () => clearTimeout(timer);
  }, [client, key]);
}
