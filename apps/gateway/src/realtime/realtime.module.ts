import { Module } from '@nestjs/common';
import { PresenceModule } from '../registry/presence.module';
import { EventsGateway } from './events.gateway';
import { HandshakeAuthenticator } from './handshake-authenticator';

/** The Socket.IO side: handshake authentication and the socket events. */
@Module({ imports: [PresenceModule], providers: [EventsGateway, HandshakeAuthenticator], exports: [HandshakeAuthenticator] })
export class RealtimeModule {}
