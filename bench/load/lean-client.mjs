// A lean idle client: Engine.IO v4 / Socket.IO v5 spoken directly over `ws` (websocket transport only), for the
// tens of thousands of background sockets the scale scenario holds. socket.io-client keeps a Manager, an Engine.IO
// Socket, timers and emitters per connection; this keeps one WebSocket and a few closures, so the load processes
// are not the limit. Measured clients (the forced-logout probes, the handshake rounds) stay socket.io-client.
//
// What it speaks (main namespace only):
//   server → `0{sid, pingInterval, pingTimeout, maxPayload}` (Engine.IO open)
//   client → `40{…auth}` (Socket.IO CONNECT with the auth payload, as socket.io-client sends `auth`)
//   server → `40{sid}` (connected) or `44{message, data}` (connect_error, message = the code)
//   server → `2` (ping) ⇒ client → `3` (pong); `41` (server-side disconnect); `42[…]` events are ignored.
import WebSocket from 'ws';

/**
 * Opens one socket and resolves once the server acknowledged the CONNECT; rejects with the connect_error message,
 * a transport error or a timeout. After that, `onLost(reason)` is called once if the server disconnects the socket
 * or the connection closes, unless `close()` was called first.
 */
export function openLeanSocket({ url, auth, timeoutMs, onLost }) {
  return new Promise((resolve, reject) => {
    const endpoint = new URL('/socket.io/', url);
    endpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
    endpoint.search = 'EIO=4&transport=websocket';
    const ws = new WebSocket(endpoint, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    let state = 'opening';
    const timer = setTimeout(() => fail(new Error(`no CONNECT ack within ${timeoutMs} ms`)), timeoutMs);
    const handle = {
      close() {
        state = 'closed';
        ws.terminate();
      },
    };
    function fail(error) {
      if (state !== 'opening') return;
      state = 'closed';
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    }
    function lost(reason) {
      if (state === 'opening') return fail(new Error(reason));
      if (state !== 'open') return undefined;
      state = 'closed';
      ws.terminate();
      return onLost?.(reason);
    }
    ws.on('message', (data) => {
      const text = data.toString();
      switch (text[0]) {
        case '0':
          ws.send(`40${JSON.stringify(auth)}`);
          return;
        case '2':
          ws.send('3');
          return;
        case '1':
          lost('transport close (server sent Engine.IO close)');
          return;
        case '4':
          if (text.startsWith('40') && state === 'opening') {
            state = 'open';
            clearTimeout(timer);
            resolve(handle);
          } else if (text.startsWith('44')) {
            fail(new Error(connectErrorMessage(text.slice(2))));
          } else if (text.startsWith('41')) {
            lost('io server disconnect');
          }
          return;
        default:
          return;
      }
    });
    ws.on('error', (error) => (state === 'opening' ? fail(error) : lost(`transport error: ${error.message}`)));
    ws.on('close', () => lost('transport close'));
  });
}

function connectErrorMessage(payload) {
  try {
    return JSON.parse(payload).message ?? payload;
  } catch {
    return payload;
  }
}
