import type { Validator } from 'typebox/compile';

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
