import { describe } from 'vitest';
import { busContract } from './bus-contract.ts';
import { MemoryBus } from './memory-bus.ts';

describe('MemoryBus', () => {
  // Instances of one cluster share the bus; closing one instance's handle must
  // not close the shared backend, so each handle is a thin view over it.
  const shared = new MemoryBus();
  busContract(async () => ({
    publish: (c, p) => shared.publish(c, p),
    subscribe: (c, l) => shared.subscribe(c, l),
    close: async () => {},
  }));
});
