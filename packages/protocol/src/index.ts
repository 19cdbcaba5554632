export * from './limits.ts';
export * from './text.ts';
export * from './common.ts';
export * from './errors.ts';
export * from './frames.ts';
export * from './rest.ts';
export * from './calls.ts';
