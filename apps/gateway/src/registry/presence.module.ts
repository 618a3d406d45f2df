import { Module } from '@nestjs/common';
import { RegistryModule } from '@app/registry';
import { SocketsModule } from '../sockets/sockets.module';
import { NodePresence } from './node-presence';
import { RegistryWriter } from './registry-writer';

/** This node's entries in the shared registry: writes, heartbeat, sweep of dead nodes. */
@Module({ imports: [RegistryModule, SocketsModule], providers: [RegistryWriter, NodePresence], exports: [RegistryWriter, NodePresence, RegistryModule] })
export class PresenceModule {}
