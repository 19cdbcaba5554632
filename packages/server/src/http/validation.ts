import type { Validator } from 'typebox/compile';

/** A short, safe description of why a value failed its schema (no echo of the value itself). */
export function describeFirstError(validator: Validator, value: unknown): string {
  const errors = validator.Errors(value);
  const first = errors.find((e) => e.keyword !== 'boolean') ?? errors[0];
  if (!first) return 'invalid';
  const where = first.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : 'value';
  if (first.keyword === 'boolean') return `${where}: unexpected property`;
  return `${where}: ${first.message}`;
}
