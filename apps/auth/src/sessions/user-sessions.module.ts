import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RevocationModule } from '../revocation/revocation.module';
import { SessionsController } from './sessions.controller';

/** `/auth/sessions`: a user's view of their own sessions. */
@Module({ imports: [AuthModule, RevocationModule], controllers: [SessionsController] })
export class UserSessionsModule {}
