import { describe } from 'vitest';
import { MemoryUploadStore } from './memory-upload-store.ts';
import { uploadStoreContract } from './upload-store-contract.ts';

describe('MemoryUploadStore', () => uploadStoreContract(() => new MemoryUploadStore()));
