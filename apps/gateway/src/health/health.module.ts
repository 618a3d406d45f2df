import { Module } from '@nestjs/common';
import { RevocationModule } from '../revocation/revocation.module';
import { HealthController } from './health.controller';

@Module({ imports: [RevocationModule], controllers: [HealthController] })
export class HealthModule {}
