import { Type, type Static } from 'typebox';
import { Uuid } from './common.ts';
import { EventCatalogue, type EventType } from './events.ts';

/**
 * Outgoing event deliveries for integrations: a server operator registers an
 * HTTPS endpoint and the event types (of the event stream, `events.ts`) it
 * wants; Parley POSTs each such event to it, signed, at least once, retrying
 * with backoff. REST bodies and answers of `/api/v1/admin/event-endpoints`.
 */

const Timestamp = Type.String({ format: 'date-time' });

/** Conversations an endpoint may be narrowed to at most (more: leave the list out). */
export const MAX_ENDPOINT_CONVERSATIONS = 100;

/** Headers of every delivery (lower-case, as Node reads them). */
export const EVENT_DELIVERY_HEADERS = {
  /** The event's `event_id`: the same on every retry, so a receiver can drop repeats. */
  eventId: 'parley-event-id',
  eventType: 'parley-event-type',
  /** Unix seconds when this attempt was signed (also the `t=` of the signature). */
  timestamp: 'parley-timestamp',
  /** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the endpoint's secret>`. */
  signature: 'parley-signature',
} as const;

const eventTypes = Object.keys(EventCatalogue) as EventType[];
export const EventTypeSchema = Type.Union(eventTypes.map((t) => Type.Literal(t)));

export const CreateEventEndpointBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'Where to POST the events: an https URL on a public address.' }),
    event_types: Type.Array(EventTypeSchema, { minItems: 1, uniqueItems: true, description: 'The event types delivered to it.' }),
    conversation_ids: Type.Optional(
      Type.Array(Uuid, {
        maxItems: MAX_ENDPOINT_CONVERSATIONS,
        uniqueItems: true,
        description: 'Only events of these conversations (events of no conversation, such as user.registered, then never). Left out: all.',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type CreateEventEndpointBody = Static<typeof CreateEventEndpointBody>;

export const UpdateEventEndpointBody = Type.Object(
  { enabled: Type.Boolean({ description: 'false: no new events are queued and queued deliveries wait; true: they go again.' }) },
  { additionalProperties: false },
);
export type UpdateEventEndpointBody = Static<typeof UpdateEventEndpointBody>;

export const EventEndpointViewSchema = Type.Object({
  id: Uuid,
  url: Type.String(),
  event_types: Type.Array(Type.String()),
  conversation_ids: Type.Union([Type.Array(Uuid), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  enabled: Type.Boolean(),
  created_by: Type.Union([Uuid, Type.Null()]),
  created_at: Timestamp,
});
export type EventEndpointView = Static<typeof EventEndpointViewSchema>;

export const CreatedEventEndpointSchema = Type.Object({
  ...EventEndpointViewSchema.properties,
  secret: Type.String({ description: 'The signing secret, shown this once: verify each delivery\'s `parley-signature` with it.' }),
});
export type CreatedEventEndpoint = Static<typeof CreatedEventEndpointSchema>;

export const EventEndpointParams = Type.Object({ id: Uuid });

export const DeliveryAttemptSchema = Type.Object({
  attempt: Type.Integer({ minimum: 1 }),
  at: Timestamp,
  /** The endpoint's HTTP status; null when no answer came. */
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  /** Why it failed: `http_status` (not 2xx), `timeout`, `connection`, `dns`, `tls`, `address_refused` (a private address); null when delivered. */
  error: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Integer({ minimum: 0 }),
});

export const EventDeliveryViewSchema = Type.Object({
  id: Uuid,
  event_id: Uuid,
  event_type: Type.String(),
  /** `pending` (queued or waiting for a retry), `delivered`, or `failed` (out of attempts). */
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer({ minimum: 0 }),
  /** When the next attempt is due; null once delivered or failed. */
  next_attempt_at: Type.Union([Timestamp, Type.Null()]),
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  delivered_at: Type.Union([Timestamp, Type.Null()]),
  attempt_log: Type.Array(DeliveryAttemptSchema),
});
export type EventDeliveryView = Static<typeof EventDeliveryViewSchema>;

export const EventDeliveriesQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});
export type EventDeliveriesQuery = Static<typeof EventDeliveriesQuery>;
