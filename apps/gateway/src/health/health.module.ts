import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { RevocationModule } from '../revocation/revocation.module';
import { SocketsModule } from '../sockets/sockets.module';
import { HealthController } from './health.controller';

@Module({ imports: [RealtimeModule, RevocationModule, SocketsModule], controllers: [HealthController] })
export class HealthModule {}
