import { createHash } from 'node:crypto';
import { redisKeys, USER_LOGGED_OUT_CHANNEL, type ExternalUserLoggedOut } from '@app/contracts';
import { externalSessionId, externalUserId } from '@app/oidc';
import { defineRedisScript, type RedisClient } from '@app/redis';

/**
 * KEYS: the end record (`externalSessionEnded` or `externalUserEndedBefore`); with an event, its record beside it.
 * ARGV: channel, message, the end's epoch ms, TTL in ms.
 *
 * An event already recorded changes nothing: {'duplicate'}. Otherwise the event is recorded, the end record keeps the
 * larger time and the longer TTL of the old and the new end (an earlier "every session before T" must not shrink), and
 * the message is published in the same step: {'ended'}.
 */
const END_PROVIDER_SESSIONS = `
if KEYS[2] and not redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then return {'duplicate'} end
local at = ARGV[3]
local ttl = tonumber(ARGV[4])
local recorded = redis.call('GET', KEYS[1])
if recorded and (tonumber(recorded) or 0) > tonumber(at) then at = recorded end
local remaining = redis.call('PTTL', KEYS[1])
if remaining > ttl then ttl = remaining end
redis.call('SET', KEYS[1], at, 'PX', ttl)
redis.call('PUBLISH', ARGV[1], ARGV[2])
return {'ended'}`;

export type EndProviderSessionsOutcome = 'ended' | 'duplicate';

export type EndProviderSessionsScript = (request: { message: ExternalUserLoggedOut; ttlSeconds: number; eventId?: string }) => Promise<EndProviderSessionsOutcome>;

/**
 * Records the end `message` announces (a provider session when it names one, else every session of its subject until
 * its `at`) and publishes it on `user-logged-out` in one script: no end goes unannounced, none is announced unrecorded.
 * Every key of a call is in one hash slot (the session's, or the user's), so it runs on Redis Cluster.
 */
export function endProviderSessionsScript(redis: RedisClient): EndProviderSessionsScript {
  const withEvent = defineRedisScript<[EndProviderSessionsOutcome]>(redis, 'endProviderSessions', 2, END_PROVIDER_SESSIONS);
  const withoutEvent = defineRedisScript<[EndProviderSessionsOutcome]>(redis, 'endProviderSessions', 1, END_PROVIDER_SESSIONS);
  return async ({ message, ttlSeconds, eventId }) => {
    const { record, event } = keysOf(message);
    const args = [USER_LOGGED_OUT_CHANNEL, JSON.stringify(message), message.at, ttlSeconds * 1000];
    const [outcome] = eventId === undefined ? await withoutEvent([record], args) : await withEvent([record, event(eventDigest(message.issuer, eventId))], args);
    return outcome;
  };
}

function keysOf({ issuer, subject, providerSessionId }: ExternalUserLoggedOut): { record: string; event: (digest: string) => string } {
  if (providerSessionId !== null) {
    const sessionId = externalSessionId(issuer, providerSessionId);
    return { record: redisKeys.externalSessionEnded(sessionId), event: (digest) => redisKeys.externalSessionEvent(sessionId, digest) };
  }
  // The message schema guarantees a subject when there is no session id.
  const userId = externalUserId(issuer, subject as string);
  return { record: redisKeys.externalUserEndedBefore(userId), event: (digest) => redisKeys.externalUserEvent(userId, digest) };
}

/** Event ids are the provider's (any length, any characters): the key holds a fixed-size digest of (issuer, id). */
function eventDigest(issuer: string, eventId: string): string {
  return createHash('sha256').update(`${issuer}\n${eventId}`).digest('base64url');
}
