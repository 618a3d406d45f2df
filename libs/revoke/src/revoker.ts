import { createUserLoggedOut, redisKeys, type RevocationConfirmation, type SessionId, type UserLoggedOut } from '@app/contracts';
import type { RedisClient } from '@app/redis';
import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_CONFIRM_TIMEOUT_MS, validateEndSessionsInput, type EndSessionsInput } from './end-sessions-input';
import { runEndSessions } from './end-sessions-script';
import { RevocationConfirmations } from './revocation-confirmations';
import { CallerSessionEndedError, RevokerClosedError, SessionsChangingError } from './revoke-errors';

export interface RevokerOptions {
  /**
   * The Redis the gateways use. An ioredis client (`Redis`, also through Sentinel, or `Cluster`) stays the app's:
   * the revoker only sends commands on it and `close()` leaves it open. Connection options or a `redis://` URL make
   * a client the revoker owns and closes.
   */
  redis: RedisClient | RedisOptions | string;
  /**
   * Name of the revoker's own connections in `CLIENT LIST` (the acknowledgement subscriber, and the command
   * connection when the revoker makes it).
   * @default 'sessionwire-revoke'
   */
  connectionName?: string;
  /**
   * How long the first confirmed call waits for the acknowledgement subscriber to connect before it fails
   * (nothing is ended then).
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * Connection errors of the acknowledgement subscriber (it reconnects by itself).
   * @default undefined (ignored)
   */
  onError?: (error: Error) => void;
}

export interface EndSessionsResult {
  /** The sessions that were still alive and are now deleted. */
  ended: SessionId[];
  /** The `id` of the `user-logged-out` message published; `null` when nothing was (none of the listed sessions existed). */
  messageId: string | null;
  /** With `confirm`: what the live gateway nodes acknowledged by the deadline. */
  confirmation?: RevocationConfirmation;
}

export interface Revoker {
  /**
   * Deletes the sessions' records and publishes `user-logged-out` in one Redis script: the gateways drop the sockets
   * at once, and one that missed the message drops them at its re-check; reconnects are refused.
   * @throws InvalidRevocationError for input the `user-logged-out` contract refuses, before touching Redis.
   * @throws CallerSessionEndedError with `caller`, when that session had ended (nothing ended).
   */
  endSessions(input: EndSessionsInput): Promise<EndSessionsResult>;
  /** Stops waiting (pending confirmations resolve with what came), closes the revoker's connections. */
  close(): Promise<void>;
}

/** Ending every session retries only when a login lands between reading the index and the script. */
const MAX_ATTEMPTS_FOR_ALL = 10;

const NOTHING_CONFIRMED: RevocationConfirmation = { closedSockets: 0, nodes: [], unconfirmedNodes: [] };

/** A revoker on the gateways' Redis. */
export function createRevoker(options: RevokerOptions): Revoker {
  const connectionName = options.connectionName ?? 'sessionwire-revoke';
  const given = options.redis;
  const owned = !isClient(given);
  const redis = isClient(given) ? given : typeof given === 'string' ? new Redis(given, { connectionName }) : new Redis({ connectionName, ...given });
  const confirmations = new RevocationConfirmations(redis, {
    connectionName: `${connectionName}:acks`,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    onError: options.onError ?? (() => undefined),
  });
  let closed = false;

  async function end({ userId, sessionIds, caller }: EndSessionsInput, message: UserLoggedOut) {
    const attempts = sessionIds === null ? MAX_ATTEMPTS_FOR_ALL : 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const outcome = await runEndSessions(redis, {
        userId,
        sessionIds: sessionIds ?? (await redis.zrange(redisKeys.userSessions(userId), '0', '-1')),
        scope: sessionIds === null ? 'all' : 'listed',
        message,
        caller,
      });
      if (outcome.outcome === 'refused') throw new CallerSessionEndedError(caller?.sessionId ?? '');
      if (outcome.outcome === 'ended') return outcome;
    }
    throw new SessionsChangingError(userId, attempts);
  }

  return {
    async endSessions(input) {
      if (closed) throw new RevokerClosedError();
      const valid = validateEndSessionsInput(input);
      const message = createUserLoggedOut(valid.userId, valid.sessionIds === null ? null : [...valid.sessionIds], valid.reason);
      // Waiting starts before the script publishes: the fastest gateway may answer before the script returns.
      const pending = valid.confirm ? await confirmations.expect(message.id, valid.confirm.timeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS) : undefined;
      let result: { ended: SessionId[]; published: boolean } | undefined;
      try {
        result = await end(valid, message);
      } finally {
        // Nothing published (refused, failed, or no listed session existed): no acknowledgement will come.
        if (pending && !result?.published) confirmations.stopWaiting(message.id);
      }
      const outcome = { ended: result.ended, messageId: result.published ? message.id : null };
      if (!pending) return outcome;
      return { ...outcome, confirmation: result.published ? await pending.confirmation : NOTHING_CONFIRMED };
    },

    async close() {
      if (closed) return;
      closed = true;
      await confirmations.close();
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function isClient(value: RevokerOptions['redis']): value is RedisClient {
  return typeof value === 'object' && value !== null && typeof (value as Partial<RedisClient>).duplicate === 'function';
}
