import type { FastifyInstance } from 'fastify';
import { SearchQuery, SearchResponseSchema, type SearchResponse } from '@parley/protocol';
import type { SearchService } from './search-service.ts';

export function registerSearchRoutes(app: FastifyInstance, search: SearchService): void {
  app.get<{ Querystring: SearchQuery; Reply: SearchResponse }>(
    '/api/v1/search',
    {
      schema: {
        summary:
          'Search the messages of your conversations: a substring of the text (2 characters or more, any script), ' +
          'whole-word matches first, then newest first; snippets are plain text with highlight ranges',
        querystring: SearchQuery,
        response: { 200: SearchResponseSchema },
      },
      // Its own budget (RATE_LIMIT_SEARCH), besides the general REST one: a search reads far more than a page of history.
      config: { limit: 'search' },
    },
    (req) => search.search(req.userId, req.query),
  );
}
