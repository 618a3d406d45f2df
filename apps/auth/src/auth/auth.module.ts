import { Module } from '@nestjs/common';
import { LoginLimitsModule } from '../login-limits/login-limits.module';
import { RevocationModule } from '../revocation/revocation.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { SessionCookie } from './session-cookie';

/** Register, login, refresh, logout: the `/auth` endpoints. */
@Module({
  imports: [UsersModule, RevocationModule, LoginLimitsModule],
  controllers: [AuthController],
  providers: [AuthService, SessionCookie],
  exports: [SessionCookie],
})
export class AuthModule {}
