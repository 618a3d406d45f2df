import { Controller, Get, NotFoundException, Query, UseGuards } from '@nestjs/common';
import { userLookupQuerySchema, type UserLookupQuery, type UserView } from '@app/contracts';
import { ZodValidationPipe } from '@app/http';
import { AdminGuard, SessionAuthGuard } from '../auth/session-auth.guard';
import { UserRepository } from '../users/user.repository';

@Controller('admin/users')
@UseGuards(SessionAuthGuard, AdminGuard)
export class AdminUsersController {
  constructor(private readonly users: UserRepository) {}

  /** Finds a user by name, for operators who know the name but not the id the other admin routes take. */
  @Get()
  async find(@Query(new ZodValidationPipe(userLookupQuerySchema)) query: UserLookupQuery): Promise<UserView> {
    const user = await this.users.findByUsername(query.username);
    if (!user) throw new NotFoundException('Unknown user');
    return { id: user.id, username: user.username, roles: user.roles };
  }
}
