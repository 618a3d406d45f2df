import { Module } from '@nestjs/common';
import { PresenceModule } from '../registry/presence.module';
import { RevocationModule } from '../revocation/revocation.module';
import { SocketsModule } from '../sockets/sockets.module';
import { CredentialExpiry } from './credential-expiry';
import { EventPayloadDepthLimit } from './event-payload-depth-limit';
import { EventRateLimiter } from './event-rate-limiter';
import { EventsGateway } from './events.gateway';
import { HandshakeAuthenticator } from './handshake-authenticator';
import { NodeDrain } from './node-drain';

/** The Socket.IO side: handshake authentication, the socket events, each socket's lifetime and limits, the drain. */
@Module({
  imports: [PresenceModule, RevocationModule, SocketsModule],
  providers: [EventsGateway, HandshakeAuthenticator, CredentialExpiry, EventRateLimiter, EventPayloadDepthLimit, NodeDrain],
  exports: [HandshakeAuthenticator, NodeDrain],
})
export class RealtimeModule {}
