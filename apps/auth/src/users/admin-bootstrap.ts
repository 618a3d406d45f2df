import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { PasswordHasher } from './password-hasher';
import { UserRepository } from './user.repository';

/**
 * Ensures the first admin exists (ADMIN_USERNAME / ADMIN_PASSWORD). Without ADMIN_PASSWORD a password is
 * generated and printed once, when the account is created; an existing account's password is never changed.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { username } = this.config.admin;
    const existing = await this.users.findByUsername(username);
    if (existing) {
      if (!existing.roles.includes('admin')) {
        await this.users.setRoles(existing.id, [...existing.roles, 'admin']);
        this.logger.log(`Granted the admin role to existing user "${username}"`);
      }
      return;
    }
    const password = this.config.admin.password ?? randomBytes(18).toString('base64url');
    const created = await this.users.create(username, await this.hasher.hash(password), ['user', 'admin']);
    if (!created) return; // another auth replica created it at the same moment
    if (this.config.admin.password) this.logger.log(`Created admin "${username}" from ADMIN_PASSWORD`);
    // Printed once, on purpose: this is the only way to learn a generated password.
    else this.logger.warn(`Created admin "${username}" with generated password: ${password}`);
  }
}
