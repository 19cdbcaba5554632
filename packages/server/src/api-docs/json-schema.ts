import * as protocol from '@parley/protocol';

export type JsonSchema = { [key: string]: unknown };

/**
 * Names for the protocol's exported object schemas, by identity: when a route
 * or frame uses `RegisterBody` or `MessageContent`, the documents say so with a
 * `$ref` instead of repeating it. New exports get a name with no edit here.
 * `…Schema` suffixes (schemas whose interface owns the plain name) are dropped.
 */
function protocolSchemaNames(): Map<object, string> {
  const names = new Map<object, string>();
  for (const [name, value] of Object.entries(protocol)) {
    if (!isObjectSchema(value) || names.has(value)) continue;
    names.set(value, name.replace(/Schema$/, ''));
  }
  return names;
}

function isObjectSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && (value as JsonSchema).type === 'object';
}

/**
 * Turns TypeBox schemas into plain JSON Schema (draft 2020-12, which OpenAPI
 * 3.1 and AsyncAPI 3 accept) and collects named ones under
 * `#/components/schemas`. TypeBox 1.x schemas are JSON Schema already; its
 * markers (`~optional`, `~kind`, …) are non-enumerable or `~`-prefixed and are
 * dropped here, as are symbol keys, so only JSON Schema keywords remain.
 */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};
  private readonly names = protocolSchemaNames();

  /** The schema as JSON, with named sub-schemas replaced by `$ref`s (and the schema itself if it is named). */
  ref(schema: unknown, fallbackName?: string): JsonSchema {
    const name = this.nameOf(schema, fallbackName);
    if (name === undefined) return this.convert(schema, false) as JsonSchema;
    this.define(name, schema);
    return { $ref: `#/components/schemas/${name}` };
  }

  /** The schema inline (for parameters, which cannot be `$ref`s to a whole object). */
  inline(schema: unknown): JsonSchema {
    return this.convert(schema, true) as JsonSchema;
  }

  nameOf(schema: unknown, fallbackName?: string): string | undefined {
    return (typeof schema === 'object' && schema !== null ? this.names.get(schema) : undefined) ?? fallbackName;
  }

  private define(name: string, schema: unknown): void {
    if (name in this.schemas) return;
    this.schemas[name] = {}; // placeholder: a schema that contains itself ends in a $ref
    this.schemas[name] = this.convert(schema, true) as JsonSchema;
  }

  private convert(node: unknown, isRoot: boolean): unknown {
    if (Array.isArray(node)) return node.map((item) => this.convert(item, false));
    if (typeof node !== 'object' || node === null) return node;
    const name = isRoot ? undefined : this.names.get(node);
    if (name !== undefined) {
      this.define(name, node);
      return { $ref: `#/components/schemas/${name}` };
    }
    const out: JsonSchema = {};
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('~') || value === undefined) continue;
      out[key] = this.convert(value, false);
    }
    return out;
  }
}
