import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { SessionwireIoAdapter } from '@sessionwire/nest';
import { AppModule } from './app.module.js';
import { loadConfig } from './config.js';

const { port } = loadConfig();
const app = await NestFactory.create(AppModule);
app.useWebSocketAdapter(new SessionwireIoAdapter(app));
// SIGTERM drains the sockets (they reconnect to another process) before the server closes.
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
console.log(`nest-gateway example listening on http://127.0.0.1:${port}`);
