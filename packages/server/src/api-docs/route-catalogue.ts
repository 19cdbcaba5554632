import type { FastifyInstance, RouteOptions } from 'fastify';

/** Who may call a route, as the API documents state it. */
export type RouteAccess = 'public' | 'user';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set for every route of a scope by `markAccess`. */
    access?: RouteAccess;
  }
  interface FastifySchema {
    /** Leaves the route out of the API documents (the web client's catch-all, CORS preflight). */
    hide?: boolean;
    summary?: string;
    description?: string;
    tags?: string[];
  }
}

/** A route as registered, with what the documents need from it. */
export interface CatalogueRoute {
  method: string;
  url: string;
  schema: NonNullable<RouteOptions['schema']>;
  access: RouteAccess | undefined;
}

/**
 * Records every route the server registers, from Fastify's own `onRoute`
 * hook, so the OpenAPI document lists exactly what is served: a new route is
 * documented by being registered. Call before any route is added. Routes are
 * read when the documents are built (after `ready`), so later hooks that
 * change a route's options are seen.
 */
export function collectRoutes(app: FastifyInstance): () => CatalogueRoute[] {
  const registered: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    registered.push(route);
  });
  return () => {
    const routes = registered.flatMap((route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const schema = route.schema ?? {};
      if (schema.hide) return [];
      const access = (route.config as { access?: RouteAccess } | undefined)?.access;
      return methods.map((method) => ({ method: method.toUpperCase(), url: route.url, schema, access }));
    });
    // Fastify adds a HEAD route for every GET; it is implied by the GET.
    const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url));
    return routes.filter((r) => !(r.method === 'HEAD' && gets.has(r.url)));
  };
}

/** Marks every route registered in `scope` with who may call it. */
export function markAccess(scope: FastifyInstance, access: RouteAccess): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, access };
  });
}
