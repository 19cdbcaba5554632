import { EVENT_HEADERS, EVENT_TOPICS, EventCatalogue, type EventType } from '@parley/protocol';
import type { JsonSchema, SchemaComponents } from './json-schema.ts';

export const eventMessageKey = (type: string) => `event.${type}`;
const channelId = (topic: string) => `events-${topic}`;
const pascal = (type: string) => type.split(/[._]/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

/**
 * The event stream's part of the AsyncAPI document: a `kafka` server, one
 * channel per topic (`{prefix}messages`, …), one message per event type of
 * `EventCatalogue` with its envelope, headers and key, and the server's
 * `send` operation on each channel. A type added to the catalogue appears
 * here with no edit.
 */
export function eventDocument(components: SchemaComponents) {
  const messages: Record<string, JsonSchema> = {};
  const channels: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const uuid = { type: 'string', format: 'uuid' };
  for (const topic of EVENT_TOPICS) {
    const types = (Object.keys(EventCatalogue) as EventType[]).filter((t) => EventCatalogue[t].topic === topic);
    const channelMessages: Record<string, JsonSchema> = {};
    for (const type of types) {
      const { schemaVersion, description, payload } = EventCatalogue[type];
      const key = eventMessageKey(type);
      messages[key] = {
        name: type,
        title: `${type} (Kafka, schema version ${schemaVersion})`,
        summary: description,
        contentType: 'application/json',
        tags: [{ name: 'events' }],
        headers: {
          type: 'object',
          properties: {
            [EVENT_HEADERS.type]: { type: 'string', const: type },
            [EVENT_HEADERS.schemaVersion]: { type: 'string', const: String(schemaVersion) },
            [EVENT_HEADERS.eventId]: uuid,
          },
        },
        payload: {
          type: 'object',
          required: ['event_id', 'type', 'schema_version', 'occurred_at', 'key', 'payload'],
          properties: {
            event_id: { ...uuid, description: 'Stable per event: a repeat (at-least-once delivery) carries the same id.' },
            type: { type: 'string', const: type },
            schema_version: { type: 'integer', const: schemaVersion },
            occurred_at: { type: 'string', format: 'date-time', description: 'When the change committed (its transaction began).' },
            key: { ...uuid, description: topic === 'users' ? 'The user id (the record key).' : 'The conversation id (the record key).' },
            payload: components.ref(payload, `${pascal(type)}Payload`),
          },
        },
        bindings: { kafka: { key: uuid, bindingVersion: '0.5.0' } },
      };
      channelMessages[key] = { $ref: `#/components/messages/${key}` };
    }
    channels[channelId(topic)] = {
      address: `{prefix}${topic}`,
      title: `Kafka topic ${topic}`,
      description: `Events of the ${topic} domain, keyed by ${topic === 'users' ? 'user' : 'conversation'} id: one key's events are in order.`,
      servers: [{ $ref: '#/servers/kafka' }],
      parameters: { prefix: { default: 'parley.', description: 'KAFKA_TOPIC_PREFIX' } },
      messages: channelMessages,
    };
    operations[`publish${pascal(topic)}Events`] = {
      action: 'send',
      title: `Kafka: {prefix}${topic}`,
      channel: { $ref: `#/channels/${channelId(topic)}` },
      messages: Object.keys(channelMessages).map((k) => ({ $ref: `#/channels/${channelId(topic)}/messages/${k}` })),
    };
  }
  const server = {
    host: '{brokers}',
    protocol: 'kafka',
    description:
      'The Kafka cluster of KAFKA_BROKERS, where the outbox relay publishes. Delivery is at least once: consumers dedupe on event_id.',
    variables: { brokers: { default: 'localhost:9092', description: 'A bootstrap broker.' } },
  };
  return { server, channels, operations, messages };
}
