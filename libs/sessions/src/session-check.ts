import { redisKeys, type SessionId, type UserId } from '@app/contracts';

/**
 * Proof that a session is alive, to run inside a script: its keys and arguments, in the order `sessionCheckLua`
 * reads them. Made by `SessionStore.check()`; a script that starts with it passes both on, unchanged, in `KEYS` and
 * `ARGV` at the position it gave `sessionCheckLua`.
 */
export interface SessionCheck {
  keys: [record: string, rotated: string, data: string];
  /** `cookieHash`: '' when the credential is not a cookie. */
  args: [now: number, idleMs: number, cookieHash: string];
}

/** Where a script passes the check's keys and arguments: the (1-based) index of the first of each in `KEYS` and `ARGV`. */
export interface SessionCheckPosition {
  firstKey: number;
  firstArg: number;
}

/**
 * The fields of a session record a socket's admission answers (for `admittedSessionFromReply`): what a socket keeps of
 * its session. The whole record would be parsed and dropped on every handshake.
 */
export const ADMITTED_SESSION_FIELDS = ['roles', 'createdAt', 'expiresAt'] as const;

/**
 * Lua defining `checkSession()`, which reads the check at `position`, slides the session's idle timeout and answers
 * {record fields, data fields}: the whole record as field/value pairs (`sessionFromReply`), or with `answer: 'admitted'`
 * the values of `ADMITTED_SESSION_FIELDS` (`admittedSessionFromReply`). False when the session ended (past its absolute
 * expiry its keys are deleted) or, for a cookie, when the record holds another hash (a forged cookie touches nothing;
 * hashes, not secrets, are compared, so the comparison's timing reveals nothing that helps forge a cookie). Every script
 * that proves a session starts with it: the session touch and the gateway's socket admission.
 */
export function sessionCheckLua({ firstKey: key, firstArg: arg }: SessionCheckPosition, answer: 'record' | 'admitted' = 'record'): string {
  const record = answer === 'record' ? `redis.call('HGETALL', sessionKey)` : `redis.call('HMGET', sessionKey, ${ADMITTED_SESSION_FIELDS.map((field) => `'${field}'`).join(', ')})`;
  return `
local function checkSession()
  local sessionKey, rotatedKey, dataKey = KEYS[${key}], KEYS[${key + 1}], KEYS[${key + 2}]
  local now, idleMs, cookieHash = tonumber(ARGV[${arg}]), tonumber(ARGV[${arg + 1}]), ARGV[${arg + 2}]
  local stored = redis.call('HMGET', sessionKey, 'expiresAt', 'cookieHash')
  if not stored[1] then return false end
  if cookieHash ~= '' and stored[2] ~= cookieHash then return false end
  local remaining = tonumber(stored[1]) - now
  if remaining <= 0 then
    redis.call('DEL', sessionKey, rotatedKey, dataKey)
    return false
  end
  local ttl = math.min(remaining, idleMs)
  redis.call('HSET', sessionKey, 'lastSeenAt', now)
  for _, key in ipairs({sessionKey, rotatedKey, dataKey}) do redis.call('PEXPIRE', key, ttl) end
  return {${record}, redis.call('HGETALL', dataKey)}
end
`;
}

/** The check of a session, proving it at `now`; `cookieHash` for a cookie credential, else null. */
export function sessionCheck(userId: UserId, sessionId: SessionId, cookieHash: string | null, now: number, idleMs: number): SessionCheck {
  return {
    keys: [redisKeys.session(userId, sessionId), redisKeys.rotatedRefreshTokens(userId, sessionId), redisKeys.sessionData(userId, sessionId)],
    args: [now, idleMs, cookieHash ?? ''],
  };
}
