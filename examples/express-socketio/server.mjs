// A small Express + Socket.IO chat that adopts sessionwire: the lines marked "sessionwire" are all it takes.
import { createAdapter } from '@socket.io/redis-adapter';
import express from 'express';
import { Redis } from 'ioredis';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createSessionwire } from '@sessionwire/server'; // sessionwire

const {
  PORT = '3100',
  NODE_ID = `chat-${process.pid}`,
  REDIS_URL = 'redis://127.0.0.1:6379',
  JWKS_URL = 'http://127.0.0.1:3000/.well-known/jwks.json',
  ALLOWED_ORIGINS = 'http://localhost:3100',
  MAX_SOCKETS_PER_USER = '0',
} = process.env;

const app = express();
app.get('/health', (_request, response) => response.json({ ok: true, node: NODE_ID }));
const httpServer = createServer(app);

// sessionwire: sessions, registry and forced logout on the auth service's Redis, tokens checked against its JWKS.
const wire = await createSessionwire({
  redis: REDIS_URL,
  nodeId: NODE_ID,
  allowedOrigins: ALLOWED_ORIGINS.split(','),
  accessTokens: { jwksUrl: JWKS_URL, issuer: 'sessionwire-auth', audience: 'sessionwire' },
  connectionLimit: { perUser: Number(MAX_SOCKETS_PER_USER), policy: 'evict_oldest' }, // a new tab ends the oldest
});

const io = new Server(httpServer);
const pub = new Redis(REDIS_URL);
const sub = pub.duplicate();
io.adapter(createAdapter(pub, sub)); // rooms and broadcasts span every process
wire.attach(io); // sessionwire

// The chat's own events and room: every socket here is a signed-in user (socket.data, proven at the handshake).
io.on('connection', (socket) => {
  const { userId } = socket.data;
  socket.join('lobby');
  socket.on('chat:send', (payload, ack) => {
    const text = typeof payload?.text === 'string' ? payload.text.trim().slice(0, 500) : '';
    if (!text) return ack?.({ ok: false, error: 'text is required' });
    io.to('lobby').emit('chat:message', { from: userId, text, node: NODE_ID, at: Date.now() });
    ack?.({ ok: true });
  });
});

httpServer.listen(Number(PORT), '127.0.0.1', () => console.log(`chat ${NODE_ID} listening on http://127.0.0.1:${PORT}`));

process.once('SIGTERM', async () => {
  await wire.drain(); // sessionwire: server:draining, sockets closed over the drain window
  await wire.close();
  io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
});
