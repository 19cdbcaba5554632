import type { FastifyInstance } from 'fastify';
import type { CatalogueRoute } from './route-catalogue.ts';
import { buildOpenApi } from './openapi.ts';
import { buildAsyncApi } from './asyncapi.ts';
import { DOCS_PAGE, DOCS_SCRIPT } from './docs-page.ts';

export const OPENAPI_PATH = '/api/openapi.json';
export const ASYNCAPI_PATH = '/api/asyncapi.json';
export const DOCS_PATH = '/api/docs';
export const DOCS_SCRIPT_PATH = '/api/docs/docs.js';

/**
 * Serves the API documents and a page that renders them. The documents are
 * built on first request, when every route has been registered, and kept:
 * routes cannot change after `ready`.
 */
export function registerApiDocsRoutes(app: FastifyInstance, routes: () => CatalogueRoute[]): void {
  let openapi: string | null = null;
  let asyncapi: string | null = null;
  const tags = ['docs'];
  app.get(OPENAPI_PATH, { schema: { summary: 'This OpenAPI 3.1 document', tags } }, async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send((openapi ??= JSON.stringify(buildOpenApi(routes())))),
  );
  app.get(ASYNCAPI_PATH, { schema: { summary: 'The AsyncAPI 3.0 document of the WebSocket API', tags } }, async (_req, reply) =>
    reply.type('application/json; charset=utf-8').send((asyncapi ??= JSON.stringify(buildAsyncApi()))),
  );
  app.get(DOCS_PATH, { schema: { summary: 'A page that renders both documents', tags } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(DOCS_PAGE),
  );
  app.get(DOCS_SCRIPT_PATH, { schema: { summary: 'The script of the docs page', tags } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(DOCS_SCRIPT),
  );
}
