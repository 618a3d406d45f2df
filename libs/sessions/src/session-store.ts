import { redisKeys, roleSchema, USER_LOGGED_OUT_CHANNEL, type Role, type SessionData, type SessionId, type UserId, type UserLoggedOut } from '@app/contracts';
import { defineRedisScript, execBatch, isCluster, type BatchCommand, type RedisClient } from '@app/redis';
import { z } from 'zod';
import { ADMITTED_SESSION_FIELDS, sessionCheck, sessionCheckLua, type SessionCheck } from './session-check';
import { hashSecret, newSecret, newSessionId, openSealedSecret, sealSecret } from './session-credentials';
import type { SessionOptions } from './session-options';

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
  /** Per-session preferences (`session:set` from sockets). */
  data: SessionData;
}

/** What a socket's admission answers of its session (`ADMITTED_SESSION_FIELDS` and the session data). */
export type AdmittedSession = Pick<SessionRecord, 'userId' | 'sessionId' | 'roles' | 'createdAt' | 'expiresAt' | 'data'>;

export interface NewSession {
  record: SessionRecord;
  cookieSecret: string;
  refreshSecret: string;
}

export type RefreshRotation =
  /**
   * The session's current refresh secret: a new one (`rotated`), or, for the token rotated away last presented again
   * within the grace window, the one its rotation made (`grace`).
   */
  | { outcome: 'rotated' | 'grace'; record: SessionRecord; refreshSecret: string }
  /** The token was valid once and has been rotated away: someone replayed it. The session is now deleted. */
  | { outcome: 'reused' }
  | { outcome: 'invalid' };

// Built once: every handshake parses a session record, and building a zod schema costs more than parsing with it.
const storedRolesSchema = z.array(roleSchema);
const admittedFieldsSchema = z.object({
  roles: z.string().transform((value) => storedRolesSchema.parse(value ? value.split(',') : [])),
  createdAt: z.coerce.number(),
  expiresAt: z.coerce.number(),
});
const storedSessionSchema = admittedFieldsSchema.extend({
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

// KEYS and ARGV: a SessionCheck. Returns the record and the session data.
const TOUCH = `${sessionCheckLua({ firstKey: 1, firstArg: 1 })}
return checkSession() or nil`;

// KEYS: session, session data. ARGV: field, JSON value, max fields. Only for a live session.
const SET_DATA = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 'missing' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[3]) then return 'full' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
return 'ok'`;

// KEYS: session, rotated refresh hashes, user's session index, previous refresh token, session data. ARGV: presented
// hash, new hash, now, idle ms, session id, channel, message announcing the session's end (published only on reuse),
// the new secret sealed under the presented one ('' when grace ms is 0), grace ms. The token rotated away last stays redeemable for
// its successor while the previous-token key lives (grace ms): answers 'grace' with the sealed successor. Any other
// rotated-away token is reuse. With no grace, a previous-token key left by an earlier setting is deleted unread.
const ROTATE_REFRESH = `
local graceMs = tonumber(ARGV[9])
if graceMs == 0 then redis.call('DEL', KEYS[4]) end
local current = redis.call('HGET', KEYS[1], 'refreshHash')
if not current then return {'invalid'} end
local now = tonumber(ARGV[3])
local remaining = tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) - now
if remaining <= 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
  redis.call('ZREM', KEYS[3], ARGV[5])
  return {'invalid'}
end
local function touched(outcome, sealedSecret)
  local ttl = math.min(remaining, tonumber(ARGV[4]))
  redis.call('HSET', KEYS[1], 'lastSeenAt', ARGV[3])
  for _, key in ipairs({KEYS[1], KEYS[2], KEYS[5]}) do redis.call('PEXPIRE', key, ttl) end
  return {outcome, redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[5]), sealedSecret}
end
if current == ARGV[1] then
  redis.call('HSET', KEYS[1], 'refreshHash', ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[1])
  if graceMs > 0 then
    redis.call('HSET', KEYS[4], 'hash', ARGV[1], 'sealedSuccessor', ARGV[8])
    redis.call('PEXPIRE', KEYS[4], graceMs)
  end
  return touched('rotated', '')
end
local previous = redis.call('HMGET', KEYS[4], 'hash', 'sealedSuccessor')
if previous[1] == ARGV[1] then return touched('grace', previous[2]) end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[5], KEYS[4])
  redis.call('ZREM', KEYS[3], ARGV[5])
  redis.call('PUBLISH', ARGV[6], ARGV[7])
  return {'reused'}
end
return {'invalid'}`;

/** '1' or '0' per key, in order: whether it exists. */
const WHICH_EXIST = `local found = {}
for i, key in ipairs(KEYS) do found[i] = redis.call('EXISTS', key) == 1 and '1' or '0' end
return table.concat(found)`;

/** The Lua of the refresh rotation, for a test that runs it with key names of its own (no key is derived in Lua). */
export const ROTATE_REFRESH_LUA = ROTATE_REFRESH;

/**
 * Server-side sessions in Redis. The record's TTL enforces both lifetimes: it is always
 * min(idle timeout, time left until the absolute expiry), and every use slides it. A plain class: Nest apps provide it
 * through `SessionsModule`.
 */
export class SessionStore {
  private readonly createScript;
  private readonly touchScript;
  private readonly rotateRefreshScript;
  private readonly setDataScript;
  private readonly whichExistScript;
  private scriptRefusedAcrossSlots = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: SessionOptions,
  ) {
    this.createScript = defineRedisScript<number>(redis, 'sessionCreate', 2, CREATE);
    this.touchScript = defineRedisScript<[string[], string[]] | null>(redis, 'sessionTouch', 3, TOUCH);
    this.setDataScript = defineRedisScript<'ok' | 'missing' | 'full'>(redis, 'sessionSetData', 2, SET_DATA);
    this.rotateRefreshScript = defineRedisScript<[string, string[]?, string[]?, string?]>(redis, 'sessionRotateRefresh', 5, ROTATE_REFRESH);
    this.whichExistScript = defineRedisScript<string>(redis, 'sessionsWhichExist', 'any', WHICH_EXIST);
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
      data: {},
    };
    const ttlMs = Math.min(this.options.idleTtlSeconds, this.options.absoluteTtlSeconds) * 1000;
    await this.createScript(
      [redisKeys.session(input.userId, sessionId), redisKeys.userSessions(input.userId)],
      [
        sessionId,
        now,
        ttlMs,
        record.expiresAt,
        ...Object.entries({ ...storedFields(record), refreshHash: hashSecret(refreshSecret) }).flat(),
      ],
    );
    return { record, cookieSecret, refreshSecret };
  }

  /**
   * The live session, its idle timeout slid forward; `null` if it ended or never existed, or when `cookieHash` is
   * given and the session's cookie is another one.
   */
  async touch(userId: UserId, sessionId: SessionId, cookieHash: string | null = null): Promise<SessionRecord | null> {
    const { keys, args } = this.check(userId, sessionId, cookieHash);
    const reply = await this.touchScript(keys, args);
    return reply ? sessionFromReply(userId, sessionId, reply[0], reply[1]) : null;
  }

  /**
   * The proof, as of now, that this session is alive (and, with `cookieHash`, that it holds that cookie), for a
   * script that starts with `sessionCheckLua`: it slides the session's idle timeout like `touch`.
   */
  check(userId: UserId, sessionId: SessionId, cookieHash: string | null): SessionCheck {
    return sessionCheck(userId, sessionId, cookieHash, Date.now(), this.options.idleTtlSeconds * 1000);
  }

  /** Stores one session-data value (JSON text); refused when the session ended or already has `maxKeys` keys. */
  async setData(userId: UserId, sessionId: SessionId, key: string, json: string, maxKeys: number): Promise<'ok' | 'missing' | 'full'> {
    return this.setDataScript([redisKeys.session(userId, sessionId), redisKeys.sessionData(userId, sessionId)], [key, json, maxKeys]);
  }

  /**
   * Swaps the refresh secret if `presentedSecret` is the current one. The secret rotated away last, presented
   * again within `refreshReuseGraceSeconds`, yields the current secret (sealed under it, for this session, at the
   * rotation) and slides the session like a refresh. Any other rotated-away secret ends the session and publishes
   * `reuseAnnouncement` in the same step.
   */
  async rotateRefresh(userId: UserId, sessionId: SessionId, presentedSecret: string, reuseAnnouncement: UserLoggedOut): Promise<RefreshRotation> {
    const refreshSecret = newSecret();
    const graceMs = (this.options.refreshReuseGraceSeconds ?? 0) * 1000;
    const [outcome, fields, dataFields, sealedSecret] = await this.rotateRefreshScript(
      [
        redisKeys.session(userId, sessionId),
        redisKeys.rotatedRefreshTokens(userId, sessionId),
        redisKeys.userSessions(userId),
        redisKeys.previousRefreshToken(userId, sessionId),
        redisKeys.sessionData(userId, sessionId),
      ],
      [
        hashSecret(presentedSecret),
        hashSecret(refreshSecret),
        Date.now(),
        this.options.idleTtlSeconds * 1000,
        sessionId,
        USER_LOGGED_OUT_CHANNEL,
        JSON.stringify(reuseAnnouncement),
        graceMs > 0 ? sealSecret(refreshSecret, presentedSecret, { userId, sessionId }) : '',
        graceMs,
      ],
    );
    if (fields && outcome === 'rotated') return { outcome, record: sessionFromReply(userId, sessionId, fields, dataFields ?? []), refreshSecret };
    if (fields && outcome === 'grace') {
      const successor = openSuccessor(sealedSecret ?? '', presentedSecret, { userId, sessionId });
      // A sealed value that does not open here was not sealed for this session and token: refuse, as for a forgery.
      if (successor === null) return { outcome: 'invalid' };
      return { outcome, record: sessionFromReply(userId, sessionId, fields, dataFields ?? []), refreshSecret: successor };
    }
    return { outcome: outcome === 'reused' ? 'reused' : 'invalid' };
  }

  /** The user's live sessions, oldest first. Entries whose record expired are pruned from the index. */
  async list(userId: UserId): Promise<SessionRecord[]> {
    const index = redisKeys.userSessions(userId);
    const sessionIds = await this.redis.zrangebyscore(index, Date.now(), '+inf');
    if (sessionIds.length === 0) return [];
    const replies = await execBatch(
      this.redis,
      sessionIds.flatMap((sessionId): BatchCommand[] => [
        ['hgetall', redisKeys.session(userId, sessionId)],
        ['hgetall', redisKeys.sessionData(userId, sessionId)],
      ]),
    );
    const live: SessionRecord[] = [];
    const expired: SessionId[] = [];
    sessionIds.forEach((sessionId, position) => {
      const [record, data] = replies.slice(position * 2, position * 2 + 2);
      const hash = record as Record<string, string>;
      if (Object.keys(hash).length === 0) expired.push(sessionId);
      else live.push(sessionFromReply(userId, sessionId, Object.entries(hash).flat(), Object.entries(data as Record<string, string>).flat()));
    });
    if (expired.length > 0) await this.redis.zrem(index, ...expired);
    return live.sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * For each session, whether it still exists: one round trip per Redis node however many (the gateways' re-check).
   * Standalone: one script answering one string. A pipeline of EXISTS cost the gateway ≈ 2.3 KB of allocation and
   * 5–6 µs of CPU per session (ioredis' command objects, promises and replies), the script 0.5–0.6 µs, for ≈ 0.35 µs
   * more of Redis' time per session (1.0 against 0.65). Cluster, or a single address refusing the script with
   * CROSSSLOT: the sessions live in many slots, which one script cannot span, so one EXISTS each.
   */
  async whichExist(sessions: ReadonlyArray<{ userId: UserId; sessionId: SessionId }>): Promise<boolean[]> {
    const keys = sessions.map(({ userId, sessionId }) => redisKeys.session(userId, sessionId));
    if (keys.length === 0) return [];
    if (!isCluster(this.redis) && !this.scriptRefusedAcrossSlots) {
      try {
        return existenceFlags(await this.whichExistScript(keys, []), keys.length);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('CROSSSLOT')) throw error;
        // One address that shards behind it (a proxy, a managed "cluster mode" endpoint) refuses a script over several
        // slots but routes each command: EXISTS each, from now on.
        this.scriptRefusedAcrossSlots = true;
      }
    }
    const replies = await execBatch(this.redis, keys.map((key): BatchCommand => ['exists', key]));
    return replies.map((count) => count === 1);
  }
}

/** The script's answer, checked: anything but one '0' or '1' per session must not read as sessions gone (the re-check would end their sockets). */
function existenceFlags(answer: unknown, count: number): boolean[] {
  if (typeof answer !== 'string' || answer.length !== count || !/^[01]*$/.test(answer)) throw new Error(`sessionsWhichExist answered ${String(answer).slice(0, 40)} for ${count} sessions`);
  return Array.from(answer, (flag) => flag === '1');
}

function openSuccessor(sealed: string, presentedSecret: string, session: { userId: UserId; sessionId: SessionId }): string | null {
  try {
    return openSealedSecret(sealed, presentedSecret, session);
  } catch {
    return null;
  }
}

function storedFields({ data: _data, roles, ...rest }: SessionRecord): Record<string, string | number> {
  return { ...rest, roles: roles.join(',') };
}

function pairs(flat: string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]] = flat[i + 1];
  return hash;
}

/** A session from the two HGETALL replies (record, data) a script answered with. */
export function sessionFromReply(userId: UserId, sessionId: SessionId, recordFields: string[], dataFields: string[]): SessionRecord {
  return { userId, sessionId, ...storedSessionSchema.parse(pairs(recordFields)), data: sessionDataOf(dataFields) };
}

/** An admitted session from the replies of a check with `answer: 'admitted'`: the `ADMITTED_SESSION_FIELDS` values, the data. */
export function admittedSessionFromReply(userId: UserId, sessionId: SessionId, recordValues: Array<string | null>, dataFields: string[]): AdmittedSession {
  // HMGET answers nil for a missing field: undefined fails the schema as with HGETALL (null would coerce to 0).
  const fields: Record<string, string | undefined> = {};
  ADMITTED_SESSION_FIELDS.forEach((field, index) => (fields[field] = recordValues[index] ?? undefined));
  return { userId, sessionId, ...admittedFieldsSchema.parse(fields), data: sessionDataOf(dataFields) };
}

function sessionDataOf(dataFields: string[]): SessionData {
  const data: SessionData = {};
  for (const [key, json] of Object.entries(pairs(dataFields))) data[key] = JSON.parse(json) as SessionData[string];
  return data;
}
