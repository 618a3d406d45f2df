import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { buildAsyncApiDocument } from './asyncapi.document';
import { HANDSHAKE_ERROR_CODES } from './session-protocol';
import { clientEvents, serverEvents } from './socket-events';
import { USER_LOGGED_OUT_ACK_CHANNEL, USER_LOGGED_OUT_CHANNEL } from './user-logged-out';

const COMMITTED = join(__dirname, '../../../docs/asyncapi.json');

interface AsyncApiMessage {
  name: string;
  payload: { properties?: Record<string, { enum?: string[]; const?: unknown }> };
}
interface AsyncApiDocument {
  channels: Record<string, { address: string; messages: Record<string, unknown> }>;
  components: { messages: Record<string, AsyncApiMessage> };
  operations: Record<string, { action: 'send' | 'receive'; messages: unknown[]; reply?: unknown }>;
}

describe('docs/asyncapi.json: the Socket.IO events and Redis channels', () => {
  const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as AsyncApiDocument;
  const messages = Object.values(committed.components.messages);
  const named = (name: string) => messages.filter((message) => message.name === name);
  /** The event names of a direction's messages (component keys `toServer.*`, `toClient.*`, `ack.*`). */
  const eventsOf = (direction: 'toServer' | 'toClient' | 'ack') =>
    Object.entries(committed.components.messages)
      .filter(([key]) => key.startsWith(`${direction}.`))
      .map(([, message]) => message.name.replace(/ \(ack\)$/, ''));

  it('is what `npm run contracts:asyncapi` writes from the contracts today', () => {
    // Fails when an event, channel or schema changed without the document: run `npm run contracts:asyncapi`.
    expect(committed).toEqual(buildAsyncApiDocument());
  });

  it('names every event and channel of the contracts', () => {
    const clientToServer = ['auth:refresh', ...Object.keys(clientEvents)];
    const serverToClient = [...Object.keys(serverEvents), 'exception', 'connect_error'];

    expect({ toServer: eventsOf('toServer').sort(), acks: eventsOf('ack').sort(), toClient: eventsOf('toClient').sort() }).toEqual({
      toServer: clientToServer.sort(),
      acks: clientToServer.sort(),
      toClient: serverToClient.sort(),
    });
    const withReply = Object.values(committed.operations).filter((operation) => operation.action === 'receive' && operation.reply !== undefined);
    expect(withReply).toHaveLength(clientToServer.length);
    expect(Object.values(committed.channels).map((channel) => channel.address).sort()).toEqual(['/socket.io/', USER_LOGGED_OUT_CHANNEL, USER_LOGGED_OUT_ACK_CHANNEL].sort());
    expect(named(`${USER_LOGGED_OUT_CHANNEL} v1`).concat(named(`${USER_LOGGED_OUT_CHANNEL} v2`)).map((message) => message.payload.properties?.v?.const)).toEqual([1, 2]);
    expect(named('connect_error')[0]?.payload.properties?.message?.enum).toEqual([...HANDSHAKE_ERROR_CODES]);
  });

  it('is a valid AsyncAPI 3 document', async () => {
    const { diagnostics } = await new Parser().parse(JSON.stringify(committed));
    // Severity 0 is an error; the others are style hints.
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 0).map(({ code, message, path }) => ({ code, message, path: path.join('.') }))).toEqual([]);
  });
});
