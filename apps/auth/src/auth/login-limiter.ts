import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { redisKeys } from '@app/contracts';
import type { RetryableError } from '@app/http';
import { REDIS_CLIENT, type RedisClient } from '@app/redis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { authConfig, type AuthConfig } from '../config/auth.config';

export class TooManyLoginAttemptsException extends HttpException implements RetryableError {
  constructor(readonly retryAfterSeconds: number) {
    super({ message: `Too many login attempts; retry in ${retryAfterSeconds} s`, code: 'RATE_LIMITED' }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Brute-force protection, shared by all auth replicas through Redis: every attempt counts against the
 * client IP; failed attempts count against the username (so one attacker cannot lock out a user from
 * everywhere faster than the per-username window allows).
 */
@Injectable()
export class LoginLimiter {
  private readonly perIp: RateLimiterRedis;
  private readonly perUsername: RateLimiterRedis;

  constructor(@Inject(REDIS_CLIENT) redis: RedisClient, @Inject(authConfig.KEY) config: AuthConfig) {
    const { windowSeconds, attemptsPerIp, failuresPerUsername } = config.loginLimits;
    this.perIp = new RateLimiterRedis({ storeClient: redis, keyPrefix: redisKeys.loginLimitByIp, points: attemptsPerIp, duration: windowSeconds });
    this.perUsername = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: redisKeys.loginLimitByUsername,
      points: failuresPerUsername,
      duration: windowSeconds,
    });
  }

  /** Counts an attempt; throws `TooManyLoginAttemptsException` when the IP or the username is over its limit. */
  async admit(ip: string, username: string): Promise<void> {
    const usernameState = await this.perUsername.get(username.toLowerCase());
    if (usernameState && usernameState.remainingPoints <= 0) throw this.tooMany(usernameState);
    await this.perIp.consume(ip).catch((rejection: unknown) => {
      throw rejection instanceof RateLimiterRes ? this.tooMany(rejection) : rejection;
    });
  }

  async recordFailure(username: string): Promise<void> {
    await this.perUsername.penalty(username.toLowerCase());
  }

  async recordSuccess(username: string): Promise<void> {
    await this.perUsername.delete(username.toLowerCase());
  }

  private tooMany(state: RateLimiterRes): TooManyLoginAttemptsException {
    return new TooManyLoginAttemptsException(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
  }
}
