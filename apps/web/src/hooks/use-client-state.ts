import type { ParleyClient, ParleyClientEvents } from '@parley/sdk';
import { useEffect, useRef, useState } from 'react';

/**
 * A value read from the client, read again after any of `events`. Events that
 * come in a burst (a sync replaying a hundred messages) cost one re-render:
 * the read waits for the current task's microtasks to finish.
 */
export function useClientState<T>(
  client: ParleyClient,
  events: readonly (keyof ParleyClientEvents)[],
  read: () => T,
  deps: readonly unknown[],
): T {
  const [value, setValue] = useState(read);
  const readRef = useRef(read);
  readRef.current = read;

  useEffect(() => {
    let scheduled = false;
    let live = true;
    const update = (): void => {
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        if (live) setValue(readRef.current());
      });
    };
    update();
    const offs = events.map((name) => client.on(name, update));
    return () => {
      live = false;
      for (const off of offs) off();
    };
    // `events` is a constant list at every call site; `deps` says what `read` depends on.
  }, [client, ...deps]);

  return value;
}
