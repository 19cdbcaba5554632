export { loadConfig, type Config } from './config.ts';
export { createParley, type Parley, type ParleyOptions } from './parley.ts';
export { MemoryBus } from './bus/memory-bus.ts';
export type { Bus } from './bus/bus.ts';
export { openDatabase } from './store/open-database.ts';
export type { Database } from './store/database.ts';
