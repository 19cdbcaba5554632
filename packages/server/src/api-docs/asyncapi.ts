import {
  BEARER_PROTOCOL_PREFIX,
  CallFrames,
  ClientFrames,
  MAX_FRAME_BYTES,
  SUBPROTOCOL,
  ServerFrames,
} from '@parley/protocol';
import { SchemaComponents, type JsonSchema } from './json-schema.ts';
import { closeCodeTable, describeErrorCodes, errorCodeTable } from './error-codes.ts';
import { eventDocument } from './asyncapi-events.ts';

/** The catalogues the WebSocket document is built from; tests pass extended ones to prove a missing frame is noticed. */
export interface FrameCatalogues {
  client: Record<string, unknown>;
  server: Record<string, unknown>;
}

export const protocolFrames: FrameCatalogues = { client: ClientFrames, server: ServerFrames };

const callTypes = new Set(Object.keys(CallFrames));

/** Message keys: a type may exist in both directions (`typing`, the call frames). */
export const clientMessageKey = (type: string) => `client.${type}`;
export const serverMessageKey = (type: string) => `server.${type}`;

/** Frames with an `id`: a client sets it on a request, and the reply (`ack`, `synced`, `error`, …) echoes it. */
const hasRequestId = (schema: unknown) =>
  typeof (schema as { properties?: Record<string, unknown> } | null)?.properties?.id === 'object';

const pascal = (type: string) => type.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

/**
 * The AsyncAPI 3.0 document of the WebSocket API at `/ws`, built from the
 * protocol's frame catalogues (`ClientFrames`, which include the call frames,
 * and `ServerFrames`), its close codes and its error codes. A frame added to a
 * catalogue appears here with no edit.
 */
export function buildAsyncApi(frames: FrameCatalogues = protocolFrames): JsonSchema {
  const components = new SchemaComponents();
  const messages: Record<string, JsonSchema> = {};
  const channelMessages: Record<string, JsonSchema> = {};
  const fromClient: JsonSchema[] = [];
  const fromServer: JsonSchema[] = [];

  const add = (direction: 'client' | 'server', type: string, schema: unknown) => {
    const key = direction === 'client' ? clientMessageKey(type) : serverMessageKey(type);
    const fallback = `${pascal(type)}${direction === 'client' ? 'Frame' : 'PushFrame'}`;
    messages[key] = {
      name: type,
      title: `${type} (${direction === 'client' ? 'client → server' : 'server → client'})`,
      contentType: 'application/json',
      ...(callTypes.has(type) ? { tags: [{ name: 'calls' }] } : {}),
      ...(hasRequestId(schema) ? { correlationId: { $ref: '#/components/correlationIds/requestId' } } : {}),
      payload: components.ref(schema, fallback),
    };
    channelMessages[key] = { $ref: `#/components/messages/${key}` };
    (direction === 'client' ? fromClient : fromServer).push({ $ref: `#/channels/socket/messages/${key}` });
  };
  for (const [type, schema] of Object.entries(frames.client)) add('client', type, schema);
  for (const [type, schema] of Object.entries(frames.server)) add('server', type, schema);

  const closeCodes = closeCodeTable();
  const events = eventDocument(components);
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Parley WebSocket API',
      version: SUBPROTOCOL,
      description:
        'Generated at runtime from the frame schemas of `@parley/protocol`. Every frame is one JSON text message with a `type`; ' +
        'a client frame may carry an `id` that the reply (`ack`, `synced`, `error`, …) echoes.\n\n' +
        `**Handshake.** Offer the subprotocol \`${SUBPROTOCOL}\` and authenticate with one of: the subprotocol ` +
        `\`${BEARER_PROTOCOL_PREFIX}<access token>\` (browsers cannot set headers), an \`Authorization: Bearer <access token>\` header, ` +
        'a one-use `?ticket=` from `POST /api/v1/auth/ws-ticket`, or an `auth` frame right after opening. The server answers with `ready`.\n\n' +
        `**Limits.** A frame over ${MAX_FRAME_BYTES} bytes closes the socket with 1009.\n\n` +
        `**Close codes.**\n\n${closeCodes.map((c) => `- ${c.code} \`${c.name}\``).join('\n')}\n\n` +
        `**Error codes** (in \`error\` frames):\n\n${describeErrorCodes()}\n\n` +
        '**Event stream.** With `KAFKA_BROKERS` set, every committed change is also published to Kafka (the `kafka` server and ' +
        'its channels below): a JSON envelope per record, keyed by conversation (user for user events), in order per key, ' +
        'at least once (a repeat is the same `event_id`).',
    },
    defaultContentType: 'application/json',
    servers: {
      parley: {
        host: '{host}',
        protocol: 'ws',
        pathname: '/ws',
        description: 'The Parley server; use wss when it is served over HTTPS.',
        variables: { host: { default: 'localhost:8080', description: 'Host and port of the server.' } },
        security: [{ $ref: '#/components/securitySchemes/bearer' }],
      },
      kafka: events.server,
    },
    channels: {
      socket: {
        address: '/ws',
        title: 'The client socket',
        description: 'One socket per client connection; both directions carry the frames below.',
        servers: [{ $ref: '#/servers/parley' }],
        messages: channelMessages,
        bindings: {
          ws: {
            method: 'GET',
            headers: {
              type: 'object',
              properties: {
                'Sec-WebSocket-Protocol': {
                  type: 'string',
                  description: `\`${SUBPROTOCOL}\`, optionally with \`${BEARER_PROTOCOL_PREFIX}<access token>\`: e.g. \`${SUBPROTOCOL}, ${BEARER_PROTOCOL_PREFIX}eyJ…\`.`,
                },
                Authorization: { type: 'string', description: '`Bearer <access token>` (non-browser clients).' },
              },
            },
            query: {
              type: 'object',
              properties: { ticket: { type: 'string', description: 'A one-use ticket from `POST /api/v1/auth/ws-ticket`.' } },
            },
            bindingVersion: '0.1.0',
          },
        },
      },
      ...events.channels,
    },
    operations: {
      // Operations are the server's: it receives the client's frames and sends its own.
      receiveClientFrames: {
        action: 'receive',
        title: 'Client → server frames',
        channel: { $ref: '#/channels/socket' },
        messages: fromClient,
      },
      sendServerFrames: {
        action: 'send',
        title: 'Server → client frames',
        channel: { $ref: '#/channels/socket' },
        messages: fromServer,
      },
      ...events.operations,
    },
    components: {
      messages: { ...messages, ...events.messages },
      schemas: components.schemas,
      correlationIds: {
        requestId: {
          location: '$message.payload#/id',
          description: 'Set by the client on a request frame; the reply (`ack`, `synced`, `error`, …) carries the same `id`.',
        },
      },
      securitySchemes: {
        bearer: {
          type: 'httpApiKey',
          name: 'Sec-WebSocket-Protocol',
          in: 'header',
          description: `The access token (JWT) as the subprotocol \`${BEARER_PROTOCOL_PREFIX}<token>\` next to \`${SUBPROTOCOL}\`, or as \`Authorization: Bearer <token>\`.`,
        },
      },
    },
    'x-close-codes': closeCodes,
    'x-error-codes': errorCodeTable(),
  };
}
