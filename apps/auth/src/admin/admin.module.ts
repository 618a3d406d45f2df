import { Module } from '@nestjs/common';
import { RevocationModule } from '../revocation/revocation.module';
import { UsersModule } from '../users/users.module';
import { AdminController } from './admin.controller';

/** `/admin`: operators inspect and revoke any user's sessions. */
@Module({ imports: [UsersModule, RevocationModule], controllers: [AdminController] })
export class AdminModule {}
