import { Module } from '@nestjs/common';
import { AdminBootstrap } from './admin-bootstrap';
import { PasswordHasher } from './password-hasher';
import { UserRepository } from './user.repository';

@Module({
  providers: [UserRepository, PasswordHasher, AdminBootstrap],
  exports: [UserRepository, PasswordHasher],
})
export class UsersModule {}
