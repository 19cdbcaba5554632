import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  CreatedEventEndpointSchema,
  CreateEventEndpointBody,
  EventDeliveriesQuery,
  EventDeliveryViewSchema,
  EventEndpointParams,
  EventEndpointViewSchema,
  NoContentSchema,
  UpdateEventEndpointBody,
  type CreatedEventEndpoint,
  type EventEndpointView,
} from '@parley/protocol';
import type { EventEndpoints } from './endpoint-service.ts';

type Params = Static<typeof EventEndpointParams>;

/** For server operators only (the scope's hook checks): outgoing event endpoints and their delivery logs. */
export function registerEventEndpointRoutes(app: FastifyInstance, endpoints: EventEndpoints): void {
  app.post<{ Body: CreateEventEndpointBody; Reply: CreatedEventEndpoint }>(
    '/api/v1/admin/event-endpoints',
    {
      schema: {
        summary: 'Register an https endpoint for signed event deliveries (operators; the signing secret is in this answer only)',
        body: CreateEventEndpointBody,
        response: { 201: CreatedEventEndpointSchema },
      },
    },
    async (req, reply) => reply.status(201).send(await endpoints.create(req.userId, req.body)),
  );
  app.get<{ Reply: { endpoints: EventEndpointView[] } }>(
    '/api/v1/admin/event-endpoints',
    { schema: { summary: 'The event endpoints, without their secrets (operators)', response: { 200: Type.Object({ endpoints: Type.Array(EventEndpointViewSchema) }) } } },
    async () => ({ endpoints: await endpoints.list() }),
  );
  app.get<{ Params: Params; Reply: EventEndpointView }>(
    '/api/v1/admin/event-endpoints/:id',
    { schema: { summary: 'One event endpoint (operators)', params: EventEndpointParams, response: { 200: EventEndpointViewSchema } } },
    (req) => endpoints.get(req.params.id),
  );
  app.patch<{ Params: Params; Body: UpdateEventEndpointBody; Reply: EventEndpointView }>(
    '/api/v1/admin/event-endpoints/:id',
    {
      schema: {
        summary: 'Disable or enable an event endpoint (operators): disabled, nothing is queued for it and its queue waits',
        params: EventEndpointParams,
        body: UpdateEventEndpointBody,
        response: { 200: EventEndpointViewSchema },
      },
    },
    (req) => endpoints.setEnabled(req.userId, req.params.id, req.body.enabled),
  );
  app.delete<{ Params: Params }>(
    '/api/v1/admin/event-endpoints/:id',
    { schema: { summary: 'Delete an event endpoint and its queue: nothing more is sent to it (operators)', params: EventEndpointParams, response: { 204: NoContentSchema } } },
    async (req, reply) => {
      await endpoints.remove(req.userId, req.params.id);
      return reply.status(204).send();
    },
  );
  app.get<{ Params: Params; Querystring: EventDeliveriesQuery }>(
    '/api/v1/admin/event-endpoints/:id/deliveries',
    {
      schema: {
        summary: "An endpoint's delivery log, newest first: attempts, status codes, error kinds, next attempt; never a body (operators)",
        params: EventEndpointParams,
        querystring: EventDeliveriesQuery,
        response: { 200: Type.Object({ deliveries: Type.Array(EventDeliveryViewSchema) }) },
      },
    },
    async (req) => ({ deliveries: await endpoints.deliveries(req.params.id, req.query) }),
  );
}
