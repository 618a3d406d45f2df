import type { SessionId, UserId } from './ids';

/**
 * Every Redis key the system uses. A user's keys carry the hash tag `{userId}`, so on Redis Cluster
 * they live in one slot and the Lua scripts that touch a user and its sessions stay atomic.
 */
export const redisKeys = {
  /** HASH: id, username, passwordHash, roles, createdAt. */
  user: (userId: UserId) => `user:{${userId}}`,
  /** STRING → user id. Lower-cased, so names are unique regardless of case. */
  username: (username: string) => `username:${username.toLowerCase()}`,
  /** ZSET: session id → absolute expiry (epoch ms). */
  userSessions: (userId: UserId) => `user:{${userId}}:sessions`,
  /** HASH: the session record; its TTL enforces the idle and absolute lifetimes. */
  session: (userId: UserId, sessionId: SessionId) => `session:{${userId}}:${sessionId}`,
  /** SET: hashes of refresh tokens already rotated away, for reuse detection. */
  rotatedRefreshTokens: (userId: UserId, sessionId: SessionId) => `session:{${userId}}:${sessionId}:rotated`,
  /**
   * HASH {hash, sealedSuccessor}: the refresh token rotated away last and its successor sealed under it, kept for
   * the reuse grace window (its TTL) so that a concurrent second presentation gets the same new token.
   */
  previousRefreshToken: (userId: UserId, sessionId: SessionId) => `session:{${userId}}:${sessionId}:previous-refresh`,
  /** HASH: small per-session preferences set from sockets (`session:set`), JSON values; same TTL as the session. */
  sessionData: (userId: UserId, sessionId: SessionId) => `session:{${userId}}:${sessionId}:data`,
  /** HASH: socket id → {nodeId, sessionId, connectedAt, transport?, credentialExpiresAt?} of every socket of the user, on any node. */
  userSockets: (userId: UserId) => `user:{${userId}}:sockets`,
  /**
   * STRING epoch ms, with a TTL no shorter than the issuer's longest token lifetime: every session of this user of an
   * external OpenID Provider (`externalUserId`) that started at or before it has ended. In the user's slot, beside its
   * sockets, so the socket admission checks it in the same script.
   */
  externalUserEndedBefore: (userId: UserId) => `user:{${userId}}:ended-before`,
  /** STRING epoch ms, same TTL: this external provider session (`externalSessionId`) has ended. */
  externalSessionEnded: (sessionId: SessionId) => `external-session:{${sessionId}}:ended`,
  /**
   * STRING, same TTL: a provider event that ended this session (a back-channel logout token, by a digest of its issuer
   * and `jti`) was acted on, so a replay of it is refused. Beside the record it ended, so both are set in one script.
   */
  externalSessionEvent: (sessionId: SessionId, eventDigest: string) => `external-session:{${sessionId}}:event:${eventDigest}`,
  /** STRING, same TTL: as `externalSessionEvent`, for an event that ended every session of this external user. */
  externalUserEvent: (userId: UserId, eventDigest: string) => `user:{${userId}}:provider-event:${eventDigest}`,
  /** SET: ids of gateway nodes that have registered sockets. */
  registryNodes: 'registry:nodes',
  /** HASH: socket id → {userId, sessionId, connectedAt, transport?, credentialExpiresAt?} of every socket on the node. */
  nodeSockets: (nodeId: string) => `registry:node:{${nodeId}}:sockets`,
  /** STRING with a TTL the node keeps refreshing; when it expires the node is dead and its entries are swept. */
  nodeHeartbeat: (nodeId: string) => `registry:node:{${nodeId}}:alive`,
  /**
   * STRING JSON `NodeReport` with the heartbeat's TTL: what the node's registry entries do not say (subscriber state,
   * draining, its logout propagation histogram), for the operator console.
   */
  nodeReport: (nodeId: string) => `registry:node:{${nodeId}}:report`,
  /** Login limiter buckets (rate-limiter-flexible prefixes): attempts per IP, failures per username and IP, failures per username. */
  loginLimitByIp: 'limit:login:ip',
  loginLimitByUsernameAndIp: 'limit:login:user-ip',
  loginLimitByUsername: 'limit:login:user',
  /**
   * ZSET address bucket → until when (epoch ms): the addresses the (lower-cased) username logged in from recently, which
   * the username ceiling spares. One key per account, so ending all its sessions forgets them all in one step.
   */
  loginKnownAddresses: (username: string) => `limit:login:known:${username.toLowerCase()}`,
} as const;
