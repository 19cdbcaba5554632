import { describe } from 'vitest';
import { presenceContract } from './presence-contract.ts';
import { MemoryPresence } from './memory-presence.ts';

describe('MemoryPresence', () => {
  // Instances of one process share one store, as createParley's callers do in tests.
  const stores = new Map<number, MemoryPresence>();
  presenceContract(async (ttlMs) => {
    let store = stores.get(ttlMs);
    if (!store) stores.set(ttlMs, (store = new MemoryPresence(ttlMs)));
    return store;
  });
});
