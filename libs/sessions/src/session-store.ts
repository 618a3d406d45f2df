import { Inject, Injectable } from '@nestjs/common';
import { redisKeys, roleSchema, type Role, type SessionId, type UserId } from '@app/contracts';
import { defineRedisScript, REDIS_CLIENT } from '@app/redis';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { hashSecret, newSecret, newSessionId } from './session-credentials';
import { SESSION_OPTIONS, type SessionOptions } from './session-options';

export interface SessionRecord {
  userId: UserId;
  sessionId: SessionId;
  roles: Role[];
  createdAt: number;
  /** Absolute end of life (epoch ms); the idle timeout may end it sooner. */
  expiresAt: number;
  lastSeenAt: number;
  userAgent: string;
  ip: string;
  cookieHash: string;
}

export interface NewSession {
  record: SessionRecord;
  cookieSecret: string;
  refreshSecret: string;
}

export type RefreshRotation =
  | { outcome: 'rotated'; record: SessionRecord; refreshSecret: string }
  /** The token was valid once and has been rotated away: someone replayed it. The session is now deleted. */
  | { outcome: 'reused' }
  | { outcome: 'invalid' };

const storedSessionSchema = z.object({
  roles: z.string().transform((value) => z.array(roleSchema).parse(value ? value.split(',') : [])),
  createdAt: z.coerce.number(),
  expiresAt: z.coerce.number(),
  lastSeenAt: z.coerce.number(),
  userAgent: z.string(),
  ip: z.string(),
  cookieHash: z.string(),
});

// KEYS: session, user's session index. ARGV: session id, now, ttl ms, expiresAt, field/value pairs…
const CREATE = `
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
local remaining = tonumber(ARGV[4]) - tonumber(ARGV[2])
if redis.call('PTTL', KEYS[2]) < remaining then redis.call('PEXPIRE', KEYS[2], remaining) end
return 1`;

// KEYS: session, rotated refresh hashes. ARGV: now, idle ms. Slides the idle timeout; returns the record.
const TOUCH = `
local expiresAt = redis.call('HGET', KEYS[1], 'expiresAt')
if not expiresAt then return nil end
local remaining = tonumber(expiresAt) - tonumber(ARGV[1])
if remaining <= 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return nil
end
local ttl = math.min(remaining, tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return redis.call('HGETALL', KEYS[1])`;

// KEYS: session, rotated refresh hashes, user's session index. ARGV: presented hash, new hash, now, idle ms, session id.
const ROTATE_REFRESH = `
local current = redis.call('HGET', KEYS[1], 'refreshHash')
if not current then return {'invalid'} end
local now = tonumber(ARGV[3])
local remaining = tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) - now
if remaining <= 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[5])
  return {'invalid'}
end
if current == ARGV[1] then
  local ttl = math.min(remaining, tonumber(ARGV[4]))
  redis.call('HSET', KEYS[1], 'refreshHash', ARGV[2], 'lastSeenAt', ARGV[3])
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  return {'rotated', redis.call('HGETALL', KEYS[1])}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[5])
  return {'reused'}
end
return {'invalid'}`;

// KEYS: user's session index. ARGV: session key prefix, 'all' | 'listed', session ids…
// Session keys are derived from the declared index's hash tag, so they live in its slot (Cluster-safe).
const END = `
local sessionIds
if ARGV[2] == 'all' then sessionIds = redis.call('ZRANGE', KEYS[1], 0, -1) else sessionIds = {unpack(ARGV, 3)} end
local ended = {}
for _, sessionId in ipairs(sessionIds) do
  local key = ARGV[1] .. sessionId
  if redis.call('DEL', key) == 1 then table.insert(ended, sessionId) end
  redis.call('DEL', key .. ':rotated')
  redis.call('ZREM', KEYS[1], sessionId)
end
if ARGV[2] == 'all' then redis.call('DEL', KEYS[1]) end
return ended`;

/**
 * Server-side sessions in Redis. The record's TTL enforces both lifetimes: it is always
 * min(idle timeout, time left until the absolute expiry), and every use slides it.
 */
@Injectable()
export class SessionStore {
  private readonly createScript;
  private readonly touchScript;
  private readonly rotateRefreshScript;
  private readonly endScript;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(SESSION_OPTIONS) private readonly options: SessionOptions,
  ) {
    this.createScript = defineRedisScript<number>(redis, 'sessionCreate', 2, CREATE);
    this.touchScript = defineRedisScript<string[] | null>(redis, 'sessionTouch', 2, TOUCH);
    this.rotateRefreshScript = defineRedisScript<[string, string[]?]>(redis, 'sessionRotateRefresh', 3, ROTATE_REFRESH);
    this.endScript = defineRedisScript<string[]>(redis, 'sessionEnd', 1, END);
  }

  /** Creates a session with a fresh id (never reusing one the client brought: no fixation). */
  async create(input: { userId: UserId; roles: Role[]; userAgent: string; ip: string }): Promise<NewSession> {
    const now = Date.now();
    const sessionId = newSessionId();
    const cookieSecret = newSecret();
    const refreshSecret = newSecret();
    const record: SessionRecord = {
      userId: input.userId,
      sessionId,
      roles: input.roles,
      createdAt: now,
      expiresAt: now + this.options.absoluteTtlSeconds * 1000,
      lastSeenAt: now,
      userAgent: input.userAgent.slice(0, 256),
      ip: input.ip,
      cookieHash: hashSecret(cookieSecret),
    };
    const ttlMs = Math.min(this.options.idleTtlSeconds, this.options.absoluteTtlSeconds) * 1000;
    await this.createScript(
      [redisKeys.session(input.userId, sessionId), redisKeys.userSessions(input.userId)],
      [
        sessionId,
        now,
        ttlMs,
        record.expiresAt,
        ...Object.entries({ ...record, roles: record.roles.join(','), refreshHash: hashSecret(refreshSecret) }).flat(),
      ],
    );
    return { record, cookieSecret, refreshSecret };
  }

  /** The live session, its idle timeout slid forward; `null` if it ended or never existed. */
  async touch(userId: UserId, sessionId: SessionId): Promise<SessionRecord | null> {
    const reply = await this.touchScript(
      [redisKeys.session(userId, sessionId), redisKeys.rotatedRefreshTokens(userId, sessionId)],
      [Date.now(), this.options.idleTtlSeconds * 1000],
    );
    return reply ? toRecord(userId, sessionId, reply) : null;
  }

  /** Swaps the refresh secret if `presentedSecret` is the current one; a rotated-away secret ends the session. */
  async rotateRefresh(userId: UserId, sessionId: SessionId, presentedSecret: string): Promise<RefreshRotation> {
    const refreshSecret = newSecret();
    const [outcome, fields] = await this.rotateRefreshScript(
      [
        redisKeys.session(userId, sessionId),
        redisKeys.rotatedRefreshTokens(userId, sessionId),
        redisKeys.userSessions(userId),
      ],
      [hashSecret(presentedSecret), hashSecret(refreshSecret), Date.now(), this.options.idleTtlSeconds * 1000, sessionId],
    );
    if (outcome === 'rotated' && fields) return { outcome, record: toRecord(userId, sessionId, fields), refreshSecret };
    return { outcome: outcome === 'reused' ? 'reused' : 'invalid' };
  }

  /** The user's live sessions, oldest first. Entries whose record expired are pruned from the index. */
  async list(userId: UserId): Promise<SessionRecord[]> {
    const index = redisKeys.userSessions(userId);
    const sessionIds = await this.redis.zrangebyscore(index, Date.now(), '+inf');
    if (sessionIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const sessionId of sessionIds) pipeline.hgetall(redisKeys.session(userId, sessionId));
    const replies = (await pipeline.exec()) ?? [];
    const live: SessionRecord[] = [];
    const expired: SessionId[] = [];
    replies.forEach(([error, fields], position) => {
      if (error) throw error;
      const sessionId = sessionIds[position];
      const hash = fields as Record<string, string>;
      if (Object.keys(hash).length === 0) expired.push(sessionId);
      else live.push(toRecord(userId, sessionId, Object.entries(hash).flat()));
    });
    if (expired.length > 0) await this.redis.zrem(index, ...expired);
    return live.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Deletes the listed sessions (or all of the user's when `null`); returns the ids that existed. */
  async end(userId: UserId, sessionIds: SessionId[] | null): Promise<SessionId[]> {
    return this.endScript(
      [redisKeys.userSessions(userId)],
      [redisKeys.session(userId, ''), sessionIds === null ? 'all' : 'listed', ...(sessionIds ?? [])],
    );
  }
}

function toRecord(userId: UserId, sessionId: SessionId, flat: string[]): SessionRecord {
  const hash: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]] = flat[i + 1];
  return { userId, sessionId, ...storedSessionSchema.parse(hash) };
}
