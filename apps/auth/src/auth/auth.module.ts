import { Module } from '@nestjs/common';
import { RevocationModule } from '../revocation/revocation.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LoginLimiter } from './login-limiter';
import { SessionCookie } from './session-cookie';

/** Register, login, refresh, logout: the `/auth` endpoints. */
@Module({
  imports: [UsersModule, RevocationModule],
  controllers: [AuthController],
  providers: [AuthService, LoginLimiter, SessionCookie],
  exports: [SessionCookie],
})
export class AuthModule {}
