import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { authConfig, type AuthConfig } from '../config/auth.config';

/** argon2id hashing with the configured cost; a dummy hash equalises the timing of unknown-user logins. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly options: argon2.HashOptions & { raw: false };
  private dummyHash = '';

  constructor(@Inject(authConfig.KEY) config: AuthConfig) {
    this.options = { type: argon2.argon2id, raw: false, ...config.passwordHashing };
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(32).toString('base64url'));
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  verify(hash: string, password: string): Promise<boolean> {
    return argon2.verify(hash, password);
  }

  /** Spends the same time as a real verification, for a username that does not exist. */
  async verifyNothing(password: string): Promise<false> {
    await argon2.verify(this.dummyHash, password);
    return false;
  }

  /** True when `hash` was made with other parameters than the configured ones (rehash on next login). */
  isOutdated(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }
}
