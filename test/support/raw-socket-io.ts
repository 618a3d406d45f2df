import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';

/** A Socket.IO v4 connection spoken by hand over a plain WebSocket (the `ws` package): no socket.io-client. */
export interface RawSocketIo {
  /** The 101 answer's `Sec-WebSocket-Protocol` header, as received. */
  selectedProtocol: string | undefined;
  /** The answer to the main namespace's CONNECT: `{ type: 'connect', sid }` or `{ type: 'connect_error', data }`. */
  connect(): Promise<{ type: 'connect'; sid: string } | { type: 'connect_error'; data: { message: string; data?: { code: string } } }>;
  /** Emits `event` with an ack id and resolves with the ack's first argument. */
  emitWithAck(event: string): Promise<unknown>;
  close(): void;
}

const openSockets = new Set<WebSocket>();

/**
 * Opens `GET /socket.io/?EIO=4&transport=websocket` offering `protocols`, and resolves once the Engine.IO open packet
 * arrived; rejects when the upgrade is refused. Engine.IO pings are answered.
 */
export function openRawSocketIo(httpUrl: string, protocols: string[], headers: Record<string, string> = {}): Promise<RawSocketIo> {
  const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, protocols, { headers });
  openSockets.add(ws);
  const packets: string[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data: Buffer) => {
    const packet = data.toString();
    if (packet === '2') return ws.send('3');
    packets.push(packet);
    for (const wake of waiters.splice(0)) wake();
  });
  const next = (matches: (packet: string) => boolean): Promise<string> =>
    new Promise((resolve, reject) => {
      const look = () => {
        const index = packets.findIndex(matches);
        if (index >= 0) return resolve(packets.splice(index, 1)[0]);
        if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return reject(new Error(`the WebSocket closed; unmatched packets: ${packets.join(' ')}`));
        waiters.push(look);
      };
      ws.once('close', () => look());
      look();
    });
  let selectedProtocol: string | undefined;
  let ackId = 0;
  return new Promise((resolve, reject) => {
    ws.once('upgrade', (response: IncomingMessage) => {
      const header = response.headers['sec-websocket-protocol'];
      selectedProtocol = Array.isArray(header) ? header.join(', ') : header;
    });
    ws.once('unexpected-response', (_request, response: IncomingMessage) => reject(new Error(`the upgrade was answered ${response.statusCode}`)));
    ws.once('error', reject);
    next((packet) => packet.startsWith('0{')).then(
      () =>
        resolve({
          selectedProtocol,
          async connect() {
            ws.send('40');
            const reply = await next((packet) => packet.startsWith('40') || packet.startsWith('44'));
            return reply.startsWith('40') ? { type: 'connect', sid: JSON.parse(reply.slice(2)).sid } : { type: 'connect_error', data: JSON.parse(reply.slice(2)) };
          },
          async emitWithAck(event) {
            const id = ++ackId;
            ws.send(`42${id}${JSON.stringify([event])}`);
            const reply = await next((packet) => packet.startsWith(`43${id}[`));
            return (JSON.parse(reply.slice(`43${id}`.length)) as unknown[])[0];
          },
          close: () => ws.close(),
        }),
      reject,
    );
  });
}

/** Closes every raw socket opened through this module. */
export function closeAllRawSocketIo(): void {
  for (const ws of openSockets) ws.terminate();
  openSockets.clear();
}
