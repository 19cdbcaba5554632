import { Compile } from 'typebox/compile';
import { ClientFrames, type ClientFrame, type ClientFrameType } from '@parley/protocol';
import { AppError } from '../errors.ts';
import { describeFirstError, refuseUnstorableText } from '../http/validation.ts';

const validators = Object.fromEntries(
  Object.entries(ClientFrames).map(([type, schema]) => [type, Compile(schema)]),
) as Record<ClientFrameType, ReturnType<typeof Compile>>;

export type Decoded = { ok: true; frame: ClientFrame } | { ok: false; id: string | undefined; error: AppError };

/** Parses and validates one client frame. Never throws: bad input becomes an error to send back. */
export function decodeFrame(raw: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, id: undefined, error: new AppError('malformed_json', 'frame is not valid JSON') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: undefined, error: new AppError('validation_failed', 'frame must be a JSON object') };
  }
  const record = value as Record<string, unknown>;
  // The id is echoed even when the rest of the frame is bad, so the client can match the error.
  const id = typeof record.id === 'string' && record.id.length <= 64 ? record.id : undefined;
  const type = record.type;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) {
    return { ok: false, id, error: new AppError('unknown_type', `unknown frame type ${JSON.stringify(String(type).slice(0, 40))}`) };
  }
  const validator = validators[type as ClientFrameType];
  if (!validator.Check(value)) {
    return { ok: false, id, error: new AppError('validation_failed', describeFirstError(validator, value)) };
  }
  const unstorable = refuseUnstorableText(value);
  if (unstorable) return { ok: false, id, error: unstorable };
  return { ok: true, frame: value as ClientFrame };
}
