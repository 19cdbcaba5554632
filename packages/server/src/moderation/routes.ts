import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import {
  AnalyticsQuery,
  AnalyticsResponseSchema,
  ItemParams,
  ModerationActionBody,
  ModerationItemViewSchema,
  ModerationQueueQuery,
  ModerationQueueSchema,
  ModerationRuleBody,
  ModerationRuleListSchema,
  ModerationRuleViewSchema,
  ReportBody,
  ReportParams,
  SanctionListSchema,
  SanctionParams,
  NoContentSchema,
} from '@parley/protocol';
import type { Sql } from '../store/database.ts';
import { readDaily } from '../analytics/analytics-repo.ts';
import type { ModerationService } from './moderation-service.ts';
import type { Sanctions } from './sanctions.ts';

/** For every member: report a message of one of their conversations. */
export function registerReportRoutes(app: FastifyInstance, moderation: ModerationService): void {
  app.post<{ Params: Static<typeof ReportParams>; Body: ReportBody; Reply: Static<typeof ModerationItemViewSchema> }>(
    '/api/v1/conversations/:id/messages/:seq/report',
    {
      schema: {
        summary: 'Report a message to the server operators (once per member per message)',
        params: ReportParams,
        body: ReportBody,
        response: { 201: ModerationItemViewSchema },
      },
      config: { limit: 'reports' },
    },
    async (req, reply) => reply.status(201).send(await moderation.report(req.userId, req.params.id, req.params.seq, req.body?.note)),
  );
}

/** For server operators only (the scope's hook checks): the review queue, rules, sanctions, analytics. */
export function registerOperatorRoutes(app: FastifyInstance, deps: { moderation: ModerationService; sanctions: Sanctions; sql: Sql }): void {
  const { moderation, sanctions } = deps;
  app.get<{ Querystring: ModerationQueueQuery; Reply: Static<typeof ModerationQueueSchema> }>(
    '/api/v1/admin/moderation/queue',
    { schema: { summary: 'The review queue (operators)', querystring: ModerationQueueQuery, response: { 200: ModerationQueueSchema } } },
    async (req) => ({ items: await moderation.queue(req.query) }),
  );
  app.post<{ Params: Static<typeof ItemParams>; Body: ModerationActionBody; Reply: Static<typeof ModerationItemViewSchema> }>(
    '/api/v1/admin/moderation/queue/:id/actions',
    {
      schema: {
        summary: "Decide a queue item: restore, confirm, warn, mute or ban its author (operators)",
        params: ItemParams,
        body: ModerationActionBody,
        response: { 200: ModerationItemViewSchema },
      },
    },
    (req) => moderation.act(req.userId, req.params.id, req.body),
  );
  app.get<{ Reply: Static<typeof ModerationRuleListSchema> }>(
    '/api/v1/admin/moderation/rules',
    { schema: { summary: 'The moderation rules (operators)', response: { 200: ModerationRuleListSchema } } },
    async () => ({ rules: await moderation.listRules() }),
  );
  app.post<{ Body: ModerationRuleBody; Reply: Static<typeof ModerationRuleViewSchema> }>(
    '/api/v1/admin/moderation/rules',
    { schema: { summary: 'Add a word, regex (RE2), link-domain or rate rule (operators)', body: ModerationRuleBody, response: { 201: ModerationRuleViewSchema } } },
    async (req, reply) => reply.status(201).send(await moderation.addRule(req.userId, req.body)),
  );
  app.delete<{ Params: Static<typeof ItemParams> }>(
    '/api/v1/admin/moderation/rules/:id',
    { schema: { summary: 'Remove a rule (operators)', params: ItemParams, response: { 204: NoContentSchema } } },
    async (req, reply) => {
      await moderation.removeRule(req.userId, req.params.id);
      return reply.status(204).send();
    },
  );
  app.get<{ Reply: Static<typeof SanctionListSchema> }>(
    '/api/v1/admin/moderation/sanctions',
    { schema: { summary: 'Mutes and bans in force (operators)', response: { 200: SanctionListSchema } } },
    async () => ({ sanctions: await sanctions.list() }),
  );
  app.delete<{ Params: Static<typeof SanctionParams> }>(
    '/api/v1/admin/moderation/sanctions/:userId/:kind',
    { schema: { summary: 'Lift a mute or ban early (operators)', params: SanctionParams, response: { 204: NoContentSchema } } },
    async (req, reply) => {
      await moderation.lift(req.userId, req.params.userId, req.params.kind);
      return reply.status(204).send();
    },
  );
  app.get<{ Querystring: AnalyticsQuery; Reply: Static<typeof AnalyticsResponseSchema> }>(
    '/api/v1/admin/analytics/daily',
    { schema: { summary: 'Daily aggregates: messages per conversation kind, active and new users, calls and minutes (operators)', querystring: AnalyticsQuery, response: { 200: AnalyticsResponseSchema } } },
    async (req) => ({ days: await readDaily(deps.sql, req.query) }),
  );
}
