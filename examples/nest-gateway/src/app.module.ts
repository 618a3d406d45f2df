import { Module } from '@nestjs/common';
import { SessionwireModule } from '@sessionwire/nest';
import { loadConfig } from './config.js';
import { HealthController } from './health.controller.js';
import { NotesGateway } from './notes.gateway.js';

@Module({
  imports: [SessionwireModule.forRootAsync({ useFactory: () => loadConfig().sessionwire })],
  controllers: [HealthController],
  providers: [NotesGateway],
})
export class AppModule {}
