import { createHash } from 'node:crypto';
import { redisKeys, USER_LOGGED_OUT_CHANNEL, type SessionId, type UserId, type UserLoggedOut } from '@app/contracts';
import type { RedisClient } from '@app/redis';

/** Every key one session has, in the order the script takes them. */
const KEYS_PER_SESSION = 4;

/**
 * KEYS: the user's session index; the caller's session record when ARGV[4] is '1'; then for each session id in
 * ARGV[6…], its record, rotated refresh hashes, data and previous refresh token.
 * ARGV: channel, message, 'all' | 'listed', '1' with a caller else '0', the caller's cookie hash ('' for any), session ids…
 *
 * With a caller, nothing happens unless its record exists (and holds the cookie hash): {'refused'}. For 'all', the ids
 * were read from the index before the script: if the index now holds one that was not passed (a login in between),
 * nothing happens: {'stale'}, and the caller reads again. Otherwise the sessions are deleted and the message is
 * published in the same step (for 'all' always, else when a listed session existed): {'ended', published 0|1, ids…}.
 */
const END_SESSIONS = `
local first = 2
if ARGV[4] == '1' then
  first = 3
  local cookieHash = redis.call('HGET', KEYS[2], 'cookieHash')
  if not cookieHash or (ARGV[5] ~= '' and cookieHash ~= ARGV[5]) then return {'refused'} end
end
local all = ARGV[3] == 'all'
if all then
  local passed = {}
  for i = 6, #ARGV do passed[ARGV[i]] = true end
  for _, sessionId in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if not passed[sessionId] then return {'stale'} end
  end
end
local reply = {'ended', 0}
for i = 6, #ARGV do
  local k = first + (i - 6) * ${KEYS_PER_SESSION}
  if redis.call('DEL', KEYS[k]) == 1 then table.insert(reply, ARGV[i]) end
  redis.call('DEL', KEYS[k + 1], KEYS[k + 2], KEYS[k + 3])
  redis.call('ZREM', KEYS[1], ARGV[i])
end
if all then redis.call('DEL', KEYS[1]) end
if all or #reply > 2 then
  redis.call('PUBLISH', ARGV[1], ARGV[2])
  reply[2] = 1
end
return reply`;

const SHA = createHash('sha1').update(END_SESSIONS).digest('hex');

export type EndSessionsOutcome = { outcome: 'refused' } | { outcome: 'stale' } | { outcome: 'ended'; ended: SessionId[]; published: boolean };

/**
 * Deletes `sessionIds` (for `scope` 'all': every id the index held when it was read) and publishes `message` on
 * `user-logged-out` in one script, so no deletion goes unannounced and none is announced early. Runs with
 * EVALSHA, loading the script on NOSCRIPT, so nothing is defined on a client the caller owns.
 */
export async function runEndSessions(
  redis: RedisClient,
  request: { userId: UserId; sessionIds: readonly SessionId[]; scope: 'all' | 'listed'; message: UserLoggedOut; caller?: { sessionId: SessionId; cookieHash?: string | null } },
): Promise<EndSessionsOutcome> {
  const { userId, sessionIds, caller } = request;
  const keys = [
    redisKeys.userSessions(userId),
    ...(caller ? [redisKeys.session(userId, caller.sessionId)] : []),
    ...sessionIds.flatMap((sessionId) => [
      redisKeys.session(userId, sessionId),
      redisKeys.rotatedRefreshTokens(userId, sessionId),
      redisKeys.sessionData(userId, sessionId),
      redisKeys.previousRefreshToken(userId, sessionId),
    ]),
  ];
  const args = [USER_LOGGED_OUT_CHANNEL, JSON.stringify(request.message), request.scope, caller ? '1' : '0', caller?.cookieHash ?? '', ...sessionIds];
  const reply = (await evalScript(redis, keys, args)) as [string, ...Array<string | number>];
  if (reply[0] === 'refused' || reply[0] === 'stale') return { outcome: reply[0] };
  const [, published, ...ended] = reply;
  return { outcome: 'ended', published: published === 1, ended: ended as SessionId[] };
}

async function evalScript(redis: RedisClient, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await redis.evalsha(SHA, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(END_SESSIONS, keys.length, ...keys, ...args);
  }
}
