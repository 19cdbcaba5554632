import { normalizeName } from '@parley/protocol';
import { AppError } from '../errors.ts';

/**
 * A display name or group title as stored: NFC, trimmed. Refuses control,
 * format and separator characters (they hide or reorder text, so one name can
 * pose as another) with `invalid_text`, and a blank name with `validation_failed`.
 */
export function storedName(field: string, value: string): string {
  const result = normalizeName(value);
  if (result.ok) return result.name;
  if (result.reason === 'empty') throw new AppError('validation_failed', `${field}: must not be blank`);
  throw new AppError('invalid_text', `${field}: control, format and separator characters are not allowed`);
}
