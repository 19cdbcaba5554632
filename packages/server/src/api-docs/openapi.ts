import { BEARER_PROTOCOL_PREFIX, ErrorBodySchema, SUBPROTOCOL } from '@parley/protocol';
import type { CatalogueRoute } from './route-catalogue.ts';
import { SchemaComponents, type JsonSchema } from './json-schema.ts';
import { describeErrorCodes, errorCodeTable } from './error-codes.ts';

type Operation = Record<string, unknown>;

/** `/api/v1/conversations/:id` → `/api/v1/conversations/{id}`, and the names of its parameters. */
export function openApiPath(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

/**
 * The OpenAPI 3.1 document of the REST API, built from the routes the server
 * registered (their TypeBox `schema` for params, query, body and responses)
 * and the protocol's error codes. Nothing here lists routes by hand.
 */
export function buildOpenApi(routes: CatalogueRoute[]): JsonSchema {
  const components = new SchemaComponents();
  const errorBody = components.ref(ErrorBodySchema);
  const paths: Record<string, Record<string, Operation>> = {};

  for (const route of [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method))) {
    const { path, params } = openApiPath(route.url);
    const schema = route.schema as Record<string, unknown>;
    const operation: Operation = {
      operationId: operationId(route.method, route.url),
      summary: (schema.summary as string | undefined) ?? `${route.method} ${route.url}`,
      ...(schema.description ? { description: schema.description } : {}),
      tags: (schema.tags as string[] | undefined) ?? [tagOf(route.url)],
      security: route.access === 'user' ? [{ bearer: [] }] : [],
      parameters: [
        ...parametersOf(components, schema.params, 'path', params),
        ...parametersOf(components, schema.querystring, 'query', []),
      ],
      ...(schema.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: components.ref(schema.body) } } } }
        : {}),
      responses: responsesOf(components, schema.response),
    };
    if ((operation.parameters as unknown[]).length === 0) delete operation.parameters;
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley REST API',
      version: SUBPROTOCOL,
      description:
        'Generated at runtime from the routes the server registers and the TypeBox schemas of `@parley/protocol`. ' +
        'Authenticated routes take `Authorization: Bearer <access token>` (a JWT from `/api/v1/auth/login`). ' +
        `The WebSocket API (subprotocol \`${SUBPROTOCOL}\`, token as \`${BEARER_PROTOCOL_PREFIX}<token>\`) is described by /api/asyncapi.json.\n\n` +
        `Every error response is \`{ "error": { "code", "message", "retry_after"? } }\` with one of these codes:\n\n${describeErrorCodes()}`,
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: components.schemas,
      responses: {
        Error: {
          description: 'An error with a stable code (see `x-error-codes` for each code\'s status and whether it is retryable).',
          headers: {
            'Retry-After': { description: 'Seconds to wait, for `rate_limited`.', schema: { type: 'integer', minimum: 0 } },
          },
          content: { 'application/json': { schema: errorBody } },
        },
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from login, register or refresh.' },
      },
    },
    'x-error-codes': errorCodeTable(),
  };
}

function parametersOf(components: SchemaComponents, schema: unknown, where: 'path' | 'query', pathParams: string[]) {
  const object = schema ? components.inline(schema) : { properties: {}, required: [] };
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  // Every `{name}` in a path must be declared, even on routes that validate no params.
  for (const name of pathParams) properties[name] ??= { type: 'string' };
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const STATUS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No content' };

function responsesOf(components: SchemaComponents, response: unknown) {
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries((response ?? {}) as Record<string, unknown>)) {
    const description = STATUS_TEXT[status] ?? 'Success';
    responses[status] =
      status === '204' ? { description } : { description, content: { 'application/json': { schema: components.ref(schema) } } };
  }
  if (Object.keys(responses).length === 0) responses['2XX'] = { description: 'Success (the route declares no response schema).' };
  responses['4XX'] = { $ref: '#/components/responses/Error' };
  responses['5XX'] = { $ref: '#/components/responses/Error' };
  return responses;
}

function operationId(method: string, url: string): string {
  const words = url.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1));
  return method.toLowerCase() + words.join('');
}

/** `/api/v1/<capability>/…` → the capability; everything else is an operational endpoint. */
function tagOf(url: string): string {
  const match = /^\/api\/v\d+\/([^/]+)/.exec(url);
  if (match) return match[1]!;
  return url.startsWith('/api/') ? 'docs' : 'operations';
}
