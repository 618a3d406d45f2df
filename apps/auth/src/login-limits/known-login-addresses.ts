import { Inject, Injectable } from '@nestjs/common';
import { redisKeys, type UserId } from '@app/contracts';
import { defineRedisScript, REDIS_CLIENT, type RedisClient } from '@app/redis';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { UserRepository } from '../users/user.repository';

// KEYS: the account's known addresses. ARGV: address bucket, now (ms), how long it stays known (ms). Members expire
// one by one through their scores; the newest one expires last, so the key's TTL follows it.
const REMEMBER = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/**
 * The addresses (address buckets, see `addressBucket`) each account logged in from recently: one sorted set per
 * lower-cased username, address → until when it is known, so that all of an account's addresses are forgotten in
 * one step.
 */
@Injectable()
export class KnownLoginAddresses {
  private readonly rememberScript;
  private readonly ttlMs: number;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(authConfig.KEY) config: AuthConfig,
    private readonly users: UserRepository,
  ) {
    this.rememberScript = defineRedisScript<number>(redis, 'loginKnownAddressRemember', 1, REMEMBER);
    this.ttlMs = config.loginLimits.knownAddressTtlSeconds * 1000;
  }

  async remember(username: string, bucket: string): Promise<void> {
    await this.rememberScript([redisKeys.loginKnownAddresses(username)], [bucket, Date.now(), this.ttlMs]);
  }

  async isKnown(username: string, bucket: string): Promise<boolean> {
    const knownUntil = await this.redis.zscore(redisKeys.loginKnownAddresses(username), bucket);
    return knownUntil !== null && Number(knownUntil) > Date.now();
  }

  /** Forgets every address of the user's account. */
  async forgetAll(userId: UserId): Promise<void> {
    const user = await this.users.findById(userId);
    if (user) await this.redis.del(redisKeys.loginKnownAddresses(user.username));
  }
}
