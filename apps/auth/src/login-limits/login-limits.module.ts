import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { KnownLoginAddresses } from './known-login-addresses';
import { LoginLimiter } from './login-limiter';

/** Brute-force limits on login, and the addresses each account logged in from recently. */
@Module({ imports: [UsersModule], providers: [LoginLimiter, KnownLoginAddresses], exports: [LoginLimiter, KnownLoginAddresses] })
export class LoginLimitsModule {}
