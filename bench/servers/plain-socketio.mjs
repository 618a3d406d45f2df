// The baseline: a plain Socket.IO server, no authentication, same socket.io version and options as the
// gateway's defaults. With REDIS_URL it uses the official Redis adapter (the same package and options as the
// gateway), so `io.in(room).disconnectSockets()` reaches every node: Socket.IO's own cross-node logout.
//
//   GET  /health               200 once listening (and the adapter's Redis connections are ready)
//   GET  /stats                {sockets, heapUsed, heapTotal, newSpace, external, rss}
//   POST /disconnect?room=R    io.in(R).disconnectSockets(true), answered at once (it is fire-and-forget)
//   GET  /event-loop-delay     {maxMs}: the largest event-loop delay since the previous call (as prom-client reports the gateway's)
//
// A client that sends `auth: {room}` is joined to that room; others join no room.
//
// With AUTH_KEY_FORM (pem | keyobject), AUTH_JWKS_URL, SESSION_REDIS_URL, JWT_ISSUER and JWT_AUDIENCE it is the
// user-written baseline instead: the same server with the `io.use` authentication of user-written-auth.mjs.
import { createServer } from 'node:http';
import process from 'node:process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { userWrittenAuth } from './user-written-auth.mjs';

const { HOST = '127.0.0.1', PORT = '0', REDIS_URL, AUTH_KEY_FORM, AUTH_JWKS_URL, SESSION_REDIS_URL, JWT_ISSUER, JWT_AUDIENCE } = process.env;

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const http = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method === 'GET' && url.pathname === '/health') return reply(response, 200, { status: 'ok' });
  if (request.method === 'GET' && url.pathname === '/stats') {
    const { heapUsed, heapTotal, external, rss } = process.memoryUsage();
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
    return reply(response, 200, { sockets: io.of('/').sockets.size, heapUsed, heapTotal, newSpace, external, rss });
  }
  if (request.method === 'GET' && url.pathname === '/event-loop-delay') {
    const maxMs = loopDelay.max / 1e6;
    loopDelay.reset();
    return reply(response, 200, { maxMs });
  }
  if (request.method === 'POST' && url.pathname === '/disconnect') {
    const room = url.searchParams.get('room');
    if (!room) return reply(response, 400, { error: 'room is required' });
    io.in(room).disconnectSockets(true);
    response.writeHead(204).end();
    return undefined;
  }
  return reply(response, 404, { error: 'not found' });
});

const io = new Server(http, { serveClient: false });
const redisClients = [];
if (REDIS_URL) {
  const publisher = new Redis(REDIS_URL, { lazyConnect: true });
  const subscriber = publisher.duplicate();
  await Promise.all([publisher.connect(), subscriber.connect()]);
  redisClients.push(publisher, subscriber);
  io.adapter(createAdapter(publisher, subscriber, { publishOnSpecificResponseChannel: true }));
}

if (AUTH_KEY_FORM) {
  const auth = await userWrittenAuth({ jwksUrl: AUTH_JWKS_URL, redisUrl: SESSION_REDIS_URL, keyForm: AUTH_KEY_FORM, issuer: JWT_ISSUER, audience: JWT_AUDIENCE });
  io.use(auth.middleware);
  redisClients.push({ disconnect: auth.close });
}

io.on('connection', (socket) => {
  const room = socket.handshake.auth?.room;
  if (typeof room === 'string' && room.length > 0) socket.join(room);
});

http.listen(Number(PORT), HOST, () => process.stdout.write(`plain socket.io listening on http://${HOST}:${http.address().port}\n`));

function reply(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

process.once('SIGTERM', () => {
  io.close();
  for (const client of redisClients) client.disconnect();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
