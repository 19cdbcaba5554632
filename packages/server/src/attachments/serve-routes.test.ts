import { describe, expect, it } from 'vitest';
import { parseRange } from './serve-routes.ts';
import { parseMetadata } from './upload-routes.ts';

describe('Range header', () => {
  it('reads one bytes range, clamped to the size', () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=50-5000', 100)).toEqual({ start: 50, end: 99 });
  });

  it('serves the whole file for what it does not take, and refuses what lies outside', () => {
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
    expect(parseRange('bytes=9-3', 100)).toBeNull();
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
  });
});

describe('tus Upload-Metadata', () => {
  it('decodes base64 values and keys without a value', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(parseMetadata(`filename ${b64('été.png')},conversation_id ${b64('c')},is_confidential`)).toEqual({
      filename: 'été.png',
      conversation_id: 'c',
      is_confidential: '',
    });
    expect(parseMetadata(undefined)).toEqual({});
  });

  it('refuses what is not tus metadata with validation_failed', () => {
    expect(() => parseMetadata('file name x')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    expect(() => parseMetadata('filename ***')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
