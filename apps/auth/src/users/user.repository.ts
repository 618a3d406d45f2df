import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { redisKeys, roleSchema, userIdSchema, type Role, type UserId, type UserView } from '@app/contracts';
import { REDIS_CLIENT, type RedisClient } from '@app/redis';
import { z } from 'zod';

export interface StoredUser extends UserView {
  passwordHash: string;
  createdAt: number;
}

const storedUserSchema = z.object({
  id: userIdSchema,
  username: z.string(),
  passwordHash: z.string(),
  roles: z.string().transform((value) => z.array(roleSchema).parse(value.split(','))),
  createdAt: z.coerce.number(),
});

/**
 * Users in Redis: `user:{id}` holds the record, `username:<name>` points to it. The record is written
 * first and the name claimed with SET NX second, so the claim is the single commit point: of two
 * concurrent registrations exactly one wins, and a failure leaves at most an unreachable record behind.
 */
@Injectable()
export class UserRepository {
  private readonly logger = new Logger(UserRepository.name);

  constructor(@Inject(REDIS_CLIENT) private readonly redis: RedisClient) {}

  /** The new user, or `null` when the name (case-insensitively) is taken. */
  async create(username: string, passwordHash: string, roles: Role[]): Promise<StoredUser | null> {
    const user: StoredUser = { id: randomUUID(), username, passwordHash, roles, createdAt: Date.now() };
    const recordKey = redisKeys.user(user.id);
    await this.redis.hset(recordKey, { ...user, roles: roles.join(',') });
    const claimed = await this.redis.set(redisKeys.username(username), user.id, 'NX');
    if (claimed === 'OK') return user;
    await this.redis.del(recordKey).catch((error: Error) => this.logger.warn(`Could not remove unclaimed user record ${recordKey}: ${error.message}`));
    return null;
  }

  async findByUsername(username: string): Promise<StoredUser | null> {
    const id = await this.redis.get(redisKeys.username(username));
    return id ? this.findById(id) : null;
  }

  async findById(id: string): Promise<StoredUser | null> {
    if (!userIdSchema.safeParse(id).success) return null;
    const hash = await this.redis.hgetall(redisKeys.user(id));
    return Object.keys(hash).length === 0 ? null : storedUserSchema.parse(hash);
  }

  async updatePasswordHash(id: UserId, passwordHash: string): Promise<void> {
    await this.redis.hset(redisKeys.user(id), 'passwordHash', passwordHash);
  }

  async setRoles(id: UserId, roles: Role[]): Promise<void> {
    await this.redis.hset(redisKeys.user(id), 'roles', roles.join(','));
  }
}
