import { z } from 'zod';
import { HANDSHAKE_ERROR_CODES, SESSIONWIRE_SUBPROTOCOL, SUBPROTOCOL_BEARER_PREFIX } from './session-protocol';
import { ackSchemaOf, authRefreshEvent, clientEvents, connectErrorSchema, eventErrorSchema, serverEvents, type ClientEventName, type ClientEventSpec } from './socket-events';
import { externalUserLoggedOutSchema, USER_LOGGED_OUT_ACK_CHANNEL, USER_LOGGED_OUT_CHANNEL, userLoggedOutAckSchema, userLoggedOutSchema } from './user-logged-out';

// Not exported from the package's index: only scripts/asyncapi.mjs (which writes docs/asyncapi.json) and its spec use it.

type JsonObject = Record<string, unknown>;
const ref = (path: string) => ({ $ref: `#/${path}` });

/** JSON Schema (draft-07, which AsyncAPI's schema format extends) of `schema`; its shared definitions go to `shared`. */
function jsonSchemaOf(schema: z.ZodType, shared: JsonObject): JsonObject {
  const { definitions, ...json } = z.toJSONSchema(schema, { target: 'draft-7', io: 'output' }) as JsonObject & { definitions?: JsonObject };
  // The document's schema format says the dialect; a `$schema` inside a payload would be a second, nested one.
  delete json.$schema;
  for (const [name, definition] of Object.entries(definitions ?? {})) {
    const hoisted = JSON.parse(JSON.stringify(definition).replaceAll('"#/definitions/', '"#/components/schemas/')) as unknown;
    if (name in shared && JSON.stringify(shared[name]) !== JSON.stringify(hoisted)) throw new Error(`Two different schemas are named ${name}`);
    shared[name] = hoisted;
  }
  return JSON.parse(JSON.stringify(json).replaceAll('"#/definitions/', '"#/components/schemas/')) as JsonObject;
}

/** One line per event; a new event in the contracts does not compile until it has one. */
const CLIENT_EVENT_SUMMARIES = {
  whoami: 'Who this socket is: `{userId, sessionId, nodeId, roles}`.',
  dm: 'A direct message to every socket of a user, on every node.',
  'room:join': 'Joins a chat room that spans the nodes.',
  'room:leave': 'Leaves a chat room.',
  'room:message': 'A message to a room\'s members (`FORBIDDEN` for a non-member).',
  'session:get': 'The session\'s data.',
  'session:set': 'Persists a JSON value in the session\'s data, seen over HTTP (`/auth/me`) and by the session\'s sockets (`session:data`).',
  'admin:stats': 'Admins only (`FORBIDDEN` otherwise): this node\'s socket count.',
} satisfies Record<ClientEventName, string>;
const SERVER_EVENT_SUMMARIES = {
  'session:ended': 'The session ended; the server disconnects right after. Do not reconnect with the same credentials.',
  'auth:expiring': 'The socket\'s access token expires at `exp` unless `auth:refresh` brings a fresh one first.',
  'server:draining': 'This node is shutting down; reconnect (to another node). Not a logout.',
  dm: 'A direct message to this user.',
  'room:message': 'A message in a room this socket joined.',
  'session:data': 'A value of this session\'s data changed (from any socket of the session, on any node).',
} satisfies Record<keyof typeof serverEvents, string>;

/** A component key for an event name (keys allow only letters, digits, `.`, `-`, `_`). */
const keyOf = (event: string) => event.replaceAll(':', '.');

/** The Socket.IO events and Redis channels of sessionwire, as an AsyncAPI 3.0 document, from the contracts' schemas. */
export function buildAsyncApiDocument(): JsonObject {
  const schemas: JsonObject = {};
  const messages: JsonObject = {};
  const operations: JsonObject = {};
  const socketMessages: JsonObject = {};

  const message = (key: string, name: string, summary: string, payload: z.ZodType, channelMessages: JsonObject) => {
    messages[key] = { name, title: name, summary, contentType: 'application/json', payload: jsonSchemaOf(payload, schemas) };
    channelMessages[key] = ref(`components/messages/${key}`);
    return ref(`channels/${channelMessages === socketMessages ? 'socketio' : key.split('.')[0]}/messages/${key}`);
  };

  const clientEvent = (name: string, spec: ClientEventSpec<z.ZodType | null, object>, summary: string) => {
    const request = message(`toServer.${keyOf(name)}`, name, summary, spec.payload ?? z.null().meta({ description: 'None: the event carries only its ack callback.' }), socketMessages);
    const reply = message(`ack.${keyOf(name)}`, `${name} (ack)`, `The ack of \`${name}\`: \`{ok: true, ...}\` or \`{ok: false, error}\`.`, ackSchemaOf(spec), socketMessages);
    operations[`receive.${keyOf(name)}`] = {
      action: 'receive',
      channel: ref('channels/socketio'),
      summary,
      messages: [request],
      reply: { channel: ref('channels/socketio'), messages: [reply] },
    };
  };
  const serverEvent = (name: string, payload: z.ZodType, summary: string) => {
    operations[`send.${keyOf(name)}`] = { action: 'send', channel: ref('channels/socketio'), summary, messages: [message(`toClient.${keyOf(name)}`, name, summary, payload, socketMessages)] };
  };

  clientEvent('auth:refresh', authRefreshEvent, 'A fresh access token of the same session moves the socket\'s expiry forward: `{exp}`.');
  for (const [name, spec] of Object.entries(clientEvents)) clientEvent(name, spec, CLIENT_EVENT_SUMMARIES[name as ClientEventName]);
  for (const [name, payload] of Object.entries(serverEvents)) serverEvent(name, payload, SERVER_EVENT_SUMMARIES[name as keyof typeof serverEvents]);
  serverEvent('exception', eventErrorSchema, 'An event sent without an ack failed (invalid, refused, over the rate).');
  serverEvent('connect_error', connectErrorSchema, 'The handshake was refused; `message` is one of the handshake error codes. The connection is not opened.');

  const userLoggedOut: JsonObject = {};
  const v1 = message('userLoggedOut.v1', `${USER_LOGGED_OUT_CHANNEL} v1`, 'Sessions of the auth service ended (`sessionIds: null`: every session of the user).', userLoggedOutSchema, userLoggedOut);
  const v2 = message(
    'userLoggedOut.v2',
    `${USER_LOGGED_OUT_CHANNEL} v2`,
    'A session of an external OpenID Provider ended (back-channel logout). Subscribers written for v1 skip it.',
    externalUserLoggedOutSchema,
    userLoggedOut,
  );
  const acks: JsonObject = {};
  const ack = message('userLoggedOutAck.v1', `${USER_LOGGED_OUT_ACK_CHANNEL} v1`, 'A gateway handled a `user-logged-out` message.', userLoggedOutAckSchema, acks);
  operations['receive.userLoggedOut'] = { action: 'receive', channel: ref('channels/userLoggedOut'), summary: 'Every gateway closes the ended sessions\' sockets.', messages: [v1, v2] };
  operations['send.userLoggedOutAck'] = { action: 'send', channel: ref('channels/userLoggedOutAck'), summary: 'Each gateway acknowledges every message it handled.', messages: [ack] };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'sessionwire gateway',
      version: '1',
      description:
        'The Socket.IO events between clients and the gateways (each message is one event: its `name` is the event name, its payload the ' +
        'event\'s argument; a client event\'s ack is its operation\'s reply), and the Redis pub/sub channels between the auth service and the ' +
        'gateways. Generated from libs/contracts by `npm run contracts:asyncapi`.',
      license: { name: 'MIT' },
    },
    servers: {
      gateway: {
        host: 'localhost:8080',
        pathname: '/socket.io/',
        protocol: 'ws',
        description:
          'Socket.IO (Engine.IO 4) through nginx. The handshake credential is taken from, in order: the Socket.IO `auth: {token}` payload, ' +
          `\`Authorization: Bearer\`, the \`Sec-WebSocket-Protocol\` carrier, the session cookie, or \`?token=\` (only with ALLOW_QUERY_TOKEN=true); ` +
          `exactly one is used. A refused handshake ends in \`connect_error\` with one of ${HANDSHAKE_ERROR_CODES.join(', ')}.`,
        security: [ref('components/securitySchemes/authPayload'), ref('components/securitySchemes/bearer'), ref('components/securitySchemes/subprotocol'), ref('components/securitySchemes/sessionCookie'), ref('components/securitySchemes/queryToken')],
      },
      redis: { host: 'localhost:6379', protocol: 'redis', description: 'The Redis every auth replica and gateway shares (pub/sub).' },
    },
    channels: {
      socketio: { address: '/socket.io/', title: 'Socket.IO events', servers: [ref('servers/gateway')], messages: socketMessages },
      userLoggedOut: { address: USER_LOGGED_OUT_CHANNEL, servers: [ref('servers/redis')], messages: userLoggedOut },
      userLoggedOutAck: { address: USER_LOGGED_OUT_ACK_CHANNEL, servers: [ref('servers/redis')], messages: acks },
    },
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        authPayload: {
          type: 'httpApiKey',
          in: 'query',
          name: 'auth.token',
          description: 'An access token in the Socket.IO handshake\'s `auth` payload: `io(url, {auth: {token}})` (sent in the CONNECT packet, not in the URL).',
        },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token in `Authorization: Bearer`.' },
        subprotocol: {
          type: 'httpApiKey',
          in: 'header',
          name: 'Sec-WebSocket-Protocol',
          description:
            `For WebSocket clients that can send neither an auth payload nor headers: offer \`${SESSIONWIRE_SUBPROTOCOL}\` and ` +
            `\`${SUBPROTOCOL_BEARER_PREFIX}<access token>\`; the 101 answer selects \`${SESSIONWIRE_SUBPROTOCOL}\` only. WebSocket transport only.`,
        },
        sessionCookie: { type: 'httpApiKey', in: 'cookie', name: '__Host-sid', description: 'The auth service\'s session cookie (`sid` when COOKIE_SECURE=false).' },
        queryToken: { type: 'httpApiKey', in: 'query', name: 'token', description: 'An access token in the URL; only with ALLOW_QUERY_TOKEN=true (off by default).' },
      },
    },
  };
}
