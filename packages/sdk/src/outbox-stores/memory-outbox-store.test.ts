import { describe } from 'vitest';
import { MemoryOutboxStore } from './memory-outbox-store.ts';
import { outboxStoreContract } from './outbox-store-contract.ts';

describe('MemoryOutboxStore', () => outboxStoreContract(() => new MemoryOutboxStore()));
