import fc from 'fast-check';

/**
 * fast-check arbitraries from the protocol's TypeBox schemas, which are plain
 * JSON Schema (type, properties, required, anyOf, const, format, pattern,
 * lengths, bounds). A small walker rather than a library: the maintained
 * TypeBox→arbitrary packages target TypeBox 0.x or older fast-check, and the
 * keywords the protocol uses are few. A keyword it does not know yields
 * `fc.anything()`, so a new schema is still fuzzed, only less sharply.
 *
 * - `validOf`: values the schema accepts (strings in any script, aimed at the
 *   ids in `pools.uuids` most of the time, so requests reach real rows);
 * - `nearValidOf`: a valid value with one thing wrong (a field of the wrong
 *   type or out of bounds, a required field gone, an extra one, a string with
 *   NUL, an unpaired surrogate, a zero-width or bidi character…);
 * - `garbageOf`: anything at all.
 */
export type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
};

export interface Pools {
  /** Real ids to aim `format: uuid` strings at (users, conversations). */
  uuids: string[];
}

/** Strings that have broken servers: NUL, unpaired surrogates, hidden and reordering characters, injection. */
export const POISON_STRINGS = [
  'a\u0000b',
  '\u0000',
  'x\ud800',
  '\udc00y',
  'Ali\u200bce',
  'Bob\u202egnp.exe',
  'line\u2028break',
  'bell\u0007',
  '\ufeffbom',
  ' ',
  '%00',
  "'; DROP TABLE users; --",
  '{"$ne":null}',
  '../../etc/passwd',
];

// Arrays and strings stay short: the aim is to reach handlers, not to test the body limit.
const MAX_GENERATED_ITEMS = 4;
const MAX_GENERATED_LENGTH = 24;

export function validOf(schema: JsonSchema, pools: Pools): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => validOf(s, pools)));
  if ('const' in schema) return fc.constant(schema.const);
  switch (schema.type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const model = Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, validOf(s, pools)]));
      return fc.record(model, { requiredKeys: (schema.required ?? []).filter((k) => k in properties) });
    }
    case 'array': {
      const item = validOf(schema.items ?? {}, pools);
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? MAX_GENERATED_ITEMS, MAX_GENERATED_ITEMS));
      return schema.uniqueItems
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(item, { minLength, maxLength });
    }
    case 'string': {
      if (schema.format === 'uuid') {
        return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pools.uuids) }, { weight: 1, arbitrary: fc.uuid() });
      }
      if (schema.format === 'date-time') {
        return fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
      }
      const minLength = schema.minLength ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? MAX_GENERATED_LENGTH, MAX_GENERATED_LENGTH));
      if (schema.pattern) {
        return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
      }
      return fc.oneof(
        fc.string({ minLength, maxLength }),
        fc.string({ minLength, maxLength, unit: 'grapheme' }).filter((s) => s.length <= (schema.maxLength ?? Infinity)),
      );
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000, max: schema.maximum ?? 1_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1_000, max: schema.maximum ?? 1_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.anything();
  }
}

/** A value this one schema refuses, or almost: wrong type, past a bound, poisoned text. */
function nearValueOf(schema: JsonSchema, pools: Pools): fc.Arbitrary<unknown> {
  if (schema.type === 'object' || schema.anyOf) return nearValidOf(schema, pools);
  const wrongType = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}), fc.string());
  switch (schema.type) {
    case 'array': {
      const item = validOf(schema.items ?? {}, pools);
      return fc.oneof(
        wrongType,
        fc.constant([]),
        fc.array(nearValueOf(schema.items ?? {}, pools), { minLength: 1, maxLength: 3 }),
        // Duplicates, and one past the limit (short of the body limit).
        item.map((v) => [v, v]),
        ...(schema.maxItems !== undefined && schema.maxItems < 2_000 ? [item.map((v) => Array.from({ length: schema.maxItems! + 1 }, () => v))] : []),
      );
    }
    case 'string':
      return fc.oneof(
        fc.constantFrom(...POISON_STRINGS),
        validOf(schema, pools).map((s) => `${String(s)}\u0000`),
        fc.constant(''),
        fc.constant('x'.repeat(Math.min((schema.maxLength ?? 64) + 1, 20_000))),
        schema.format === 'uuid' ? fc.constantFrom('not-a-uuid', '00000000-0000-0000-0000-00000000000g') : fc.constant('z'),
        wrongType,
      );
    case 'integer':
    case 'number':
      return fc.oneof(
        fc.constantFrom((schema.maximum ?? 0) + 1, (schema.minimum ?? 0) - 1, 1.5, -0, 2 ** 53, Number.MAX_VALUE),
        fc.constantFrom('7', '1e3', 'NaN', ''),
        wrongType,
      );
    default:
      return wrongType;
  }
}

export function nearValidOf(schema: JsonSchema, pools: Pools): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => nearValueOf(s, pools)), fc.string());
  if (schema.type !== 'object' || !schema.properties || Object.keys(schema.properties).length === 0) return nearValueOf(schema, pools);
  const properties = schema.properties;
  const keys = Object.keys(properties);
  const valid = validOf(schema, pools) as fc.Arbitrary<Record<string, unknown>>;
  const mutations: Array<fc.Arbitrary<unknown>> = [
    // One field wrong.
    fc.tuple(valid, fc.constantFrom(...keys)).chain(([v, k]) => nearValueOf(properties[k]!, pools).map((x) => ({ ...v, [k]: x }))),
    // An unexpected field.
    fc.tuple(valid, fc.constantFrom('extra', '__proto__', 'constructor', 'a\u0000'), fc.jsonValue()).map(([v, k, x]) => ({ ...v, [k]: x })),
    // Not an object at all.
    fc.oneof(fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 2 }), fc.string()),
  ];
  const required = (schema.required ?? []).filter((k) => k in properties);
  if (required.length > 0) {
    mutations.push(
      fc.tuple(valid, fc.constantFrom(...required)).map(([v, k]) => {
        const { [k]: _, ...rest } = v;
        return rest;
      }),
    );
  }
  return fc.oneof(...mutations);
}

export function garbageOf(): fc.Arbitrary<unknown> {
  return fc.oneof(fc.anything(), fc.jsonValue(), fc.string({ unit: 'binary' }));
}
