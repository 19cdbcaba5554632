import { describe } from 'vitest';
import { cursorStoreContract } from './cursor-store-contract.ts';
import { MemoryCursorStore } from './memory-cursor-store.ts';

describe('MemoryCursorStore', () => cursorStoreContract(() => new MemoryCursorStore()));
