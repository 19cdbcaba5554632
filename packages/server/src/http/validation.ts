import type { Validator } from 'typebox/compile';
import { findUnstorableText } from '@parley/protocol';
import { AppError } from '../errors.ts';

/** A short, safe description of why a value failed its schema (no echo of the value itself). */
export function describeFirstError(validator: Validator, value: unknown): string {
  const errors = validator.Errors(value);
  // TypeBox reports an extra property twice: as a `boolean` (false schema) error
  // at the property and as `additionalProperties` at its parent. Name the property.
  const first = errors.find((e) => e.keyword !== 'boolean') ?? errors[0];
  if (!first) return 'invalid';
  const path = first.instancePath.slice(1).replaceAll('/', '.');
  const extra = (first.params as { additionalProperties?: unknown }).additionalProperties;
  if (first.keyword === 'additionalProperties' && Array.isArray(extra)) {
    return `${path ? path + '.' : ''}${String(extra[0])}: unexpected property`;
  }
  if (first.keyword === 'boolean') return `${path}: unexpected property`;
  return `${path || 'value'}: ${first.message}`;
}

/**
 * Refuses a valid value that holds a string PostgreSQL cannot store (NUL, an
 * unpaired surrogate), naming where. One check for every REST part and every
 * WebSocket frame, so no such string reaches a handler or a statement.
 */
export function refuseUnstorableText(value: unknown, prefix = ''): AppError | null {
  const path = findUnstorableText(value);
  if (path === null) return null;
  return new AppError('invalid_text', `${prefix}${path}: NUL and unpaired surrogates are not allowed`);
}
