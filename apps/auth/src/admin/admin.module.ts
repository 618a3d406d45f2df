import { Module } from '@nestjs/common';
import { RegistryModule } from '@app/registry';
import { RevocationModule } from '../revocation/revocation.module';
import { UsersModule } from '../users/users.module';
import { AdminConnectionsController } from './admin-connections.controller';
import { AdminController } from './admin.controller';
import { AdminNodesController } from './admin-nodes.controller';
import { AdminUsersController } from './admin-users.controller';

/** `/admin`: operators inspect and revoke any user's sessions and see every gateway's connections and state. */
@Module({ imports: [UsersModule, RevocationModule, RegistryModule], controllers: [AdminController, AdminUsersController, AdminConnectionsController, AdminNodesController] })
export class AdminModule {}
