import { createExternalUserLoggedOut, createUserLoggedOut, redisKeys, type RevocationConfirmation, type SessionId, type UserLoggedOut } from '@app/contracts';
import type { RedisClient } from '@app/redis';
import { Redis, type RedisOptions } from 'ioredis';
import { validateEndProviderSessionsInput, type EndProviderSessionsInput } from './end-provider-sessions-input';
import { endProviderSessionsScript } from './end-provider-sessions-script';
import { DEFAULT_CONFIRM_TIMEOUT_MS, validateEndSessionsInput, type ConfirmOption, type EndSessionsInput } from './end-sessions-input';
import { runEndSessions } from './end-sessions-script';
import { RevocationConfirmations } from './revocation-confirmations';
import { CallerSessionEndedError, DuplicateEventError, RevokerClosedError, SessionsChangingError } from './revoke-errors';

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

export interface EndProviderSessionsResult {
  /** The `id` of the `user-logged-out` message (version 2) published. */
  messageId: string;
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
  /**
   * Ends sessions an external OpenID Provider started (its back-channel logout): records the end in Redis for
   * `ttlSeconds` and publishes `user-logged-out` version 2 in one Redis script. With `providerSessionId`, that provider
   * session ends; with only `subject`, every session of that user that started until now. The gateways drop the
   * sockets at once, and refuse the ended sessions' tokens at every handshake and refresh while the record lives.
   * @throws InvalidRevocationError for input the `user-logged-out` v2 contract refuses, before touching Redis.
   * @throws DuplicateEventError with `eventId`, when that event was already acted on (nothing recorded or published).
   */
  endProviderSessions(input: EndProviderSessionsInput): Promise<EndProviderSessionsResult>;
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
  const runEndProviderSessions = endProviderSessionsScript(redis);
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

  /** Runs `publish`, which tells whether it published message `messageId`; with `confirm`, waits for its acknowledgements. */
  async function confirmed<Result extends { published: boolean }>(
    confirm: ConfirmOption | undefined,
    messageId: string,
    publish: () => Promise<Result>,
  ): Promise<{ result: Result; confirmation?: RevocationConfirmation }> {
    // Waiting starts before the script publishes: the fastest gateway may answer before the script returns.
    const pending = confirm ? await confirmations.expect(messageId, confirm.timeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS) : undefined;
    let result: Result | undefined;
    try {
      result = await publish();
    } finally {
      // Nothing published (refused, failed, or nothing to end): no acknowledgement will come.
      if (pending && !result?.published) confirmations.stopWaiting(messageId);
    }
    if (!pending) return { result };
    return { result, confirmation: result.published ? await pending.confirmation : NOTHING_CONFIRMED };
  }

  return {
    async endSessions(input) {
      if (closed) throw new RevokerClosedError();
      const valid = validateEndSessionsInput(input);
      const message = createUserLoggedOut(valid.userId, valid.sessionIds === null ? null : [...valid.sessionIds], valid.reason);
      const { result, confirmation } = await confirmed(valid.confirm, message.id, () => end(valid, message));
      const outcome = { ended: result.ended, messageId: result.published ? message.id : null };
      return confirmation ? { ...outcome, confirmation } : outcome;
    },

    async endProviderSessions(input) {
      if (closed) throw new RevokerClosedError();
      const valid = validateEndProviderSessionsInput(input);
      const message = createExternalUserLoggedOut(valid.issuer, valid.ended, valid.reason, valid.endedAt);
      const { confirmation } = await confirmed(valid.confirm, message.id, async () => {
        const outcome = await runEndProviderSessions({ message, ttlSeconds: valid.ttlSeconds, eventId: valid.eventId });
        if (outcome === 'duplicate') throw new DuplicateEventError(valid.issuer, valid.eventId ?? '');
        return { published: true };
      });
      return confirmation ? { messageId: message.id, confirmation } : { messageId: message.id };
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
