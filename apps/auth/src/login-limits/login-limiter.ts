import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { redisKeys } from '@app/contracts';
import type { RetryableError } from '@app/http';
import { REDIS_CLIENT, type RedisClient } from '@app/redis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { authConfig, type AuthConfig } from '../config/auth.config';
import { addressBucket } from './address-bucket';
import { KnownLoginAddresses } from './known-login-addresses';

export class TooManyLoginAttemptsException extends HttpException implements RetryableError {
  constructor(readonly retryAfterSeconds: number) {
    super({ message: `Too many login attempts; retry in ${retryAfterSeconds} s`, code: 'RATE_LIMITED' }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Brute-force protection after OWASP's authentication guidance, shared by all auth replicas through Redis. A
 * client is its address bucket (`addressBucket`: an IPv4 address, or an IPv6 /64), in every key below:
 * - every attempt counts against the client;
 * - failures count against the username *from that client*, so failures from one client lock only that client
 *   out of that account, never the owner elsewhere;
 * - failures also count against the username from anywhere, with a higher limit over a longer window (the
 *   ceiling), which bounds online guessing from many addresses. An address that logged in to the account
 *   recently is not held back by the ceiling (the two limits above still bind it, and its failures still count
 *   toward the ceiling), so attackers spread over many addresses cannot lock the owner out of their usual ones.
 * An attempt counts as a failure before the password is checked (atomically, so concurrent guesses cannot slip
 * past a limit) and is refunded when it succeeds. Usernames compare lower-cased; unknown ones count the same.
 */
@Injectable()
export class LoginLimiter {
  private readonly perIp: RateLimiterRedis;
  private readonly perUsernameAndIp: RateLimiterRedis;
  private readonly perUsername: RateLimiterRedis;

  constructor(
    @Inject(REDIS_CLIENT) redis: RedisClient,
    @Inject(authConfig.KEY) config: AuthConfig,
    private readonly knownAddresses: KnownLoginAddresses,
  ) {
    const { windowSeconds, attemptsPerIp, failuresPerUsernameAndIp, usernameCeiling } = config.loginLimits;
    this.perIp = new RateLimiterRedis({ storeClient: redis, keyPrefix: redisKeys.loginLimitByIp, points: attemptsPerIp, duration: windowSeconds });
    this.perUsernameAndIp = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: redisKeys.loginLimitByUsernameAndIp,
      points: failuresPerUsernameAndIp,
      duration: windowSeconds,
    });
    this.perUsername = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: redisKeys.loginLimitByUsername,
      points: usernameCeiling.failures,
      duration: usernameCeiling.windowSeconds,
    });
  }

  /**
   * Counts an attempt, as a failure until `recordSuccess`; throws `TooManyLoginAttemptsException` when the client,
   * the username from this client or (for an address the account has not logged in from recently) the username is
   * over its limit.
   */
  async admit(ip: string, username: string): Promise<void> {
    const name = username.toLowerCase();
    const client = addressBucket(ip);
    await this.consume(this.perIp, client);
    await this.consume(this.perUsernameAndIp, pairKey(name, client));
    if (await this.knownAddresses.isKnown(name, client)) {
      await this.perUsername.penalty(name);
      return;
    }
    try {
      await this.consume(this.perUsername, name);
    } catch (error) {
      // Held back by the ceiling, no password was tried: not a failure of this client.
      await this.perUsernameAndIp.reward(pairKey(name, client));
      throw error;
    }
  }

  /** The password was right: forgets this client's failures, refunds this attempt and remembers the address. */
  async recordSuccess(ip: string, username: string): Promise<void> {
    const name = username.toLowerCase();
    const client = addressBucket(ip);
    await Promise.all([this.perUsernameAndIp.delete(pairKey(name, client)), this.perUsername.reward(name), this.knownAddresses.remember(name, client)]);
  }

  private async consume(limiter: RateLimiterRedis, key: string): Promise<void> {
    await limiter.consume(key).catch((rejection: unknown) => {
      throw rejection instanceof RateLimiterRes ? new TooManyLoginAttemptsException(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))) : rejection;
    });
  }
}

/** Usernames cannot contain ':', so the pair key is unambiguous (IPv6 buckets may). */
function pairKey(name: string, client: string): string {
  return `${name}:${client}`;
}
