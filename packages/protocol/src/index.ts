export * from './limits.ts';
export * from './common.ts';
export * from './errors.ts';
export * from './frames.ts';
export * from './rest.ts';
export * from './calls.ts';
export * from './views.ts';
export * from './server-frames.ts';
