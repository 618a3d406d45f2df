import { nodeReportSchema, redisKeys, type NodeReport, type SessionId, type UserId } from '@app/contracts';
import { defineRedisScript, execBatch, type BatchCommand, type RedisClient } from '@app/redis';
import { admittedSessionFromReply, sessionCheckLua, type AdmittedSession, type SessionCheck } from '@app/sessions';
import { z } from 'zod';

/** One live socket, as the registry records it. */
export interface Connection {
  nodeId: string;
  socketId: string;
  userId: UserId;
  sessionId: SessionId;
  /** Epoch ms. */
  connectedAt: number;
  /** The socket's Engine.IO transport; absent in entries written by a gateway older than this field. */
  transport?: SocketTransport;
  /** Epoch ms at which the socket's credential expires; absent in entries written by a gateway older than this field. */
  credentialExpiresAt?: number;
}

export type SocketTransport = 'polling' | 'websocket';

export interface NodeConnectionCount {
  nodeId: string;
  connections: number;
  /** False when the node's heartbeat expired (its entries are about to be swept). */
  alive: boolean;
}

export type ConnectionLimitPolicy = 'reject_new' | 'evict_oldest';

export type Admission =
  | { accepted: false; reason: 'session_ended' | 'limit_reached' }
  /** `session`: the socket's session, proven alive by the admission itself. */
  | { accepted: true; session: AdmittedSession; evicted: Connection[] };

/** The admission of a socket of an external provider's session (no session record). */
export type ExternalAdmission = { accepted: false; reason: 'session_ended' | 'limit_reached' } | { accepted: true; evicted: Connection[] };

/**
 * Lua of the per-user limit and the insertion, once the socket's session is known alive: KEYS[1] the user's sockets;
 * ARGV[1..4] socket id, entry JSON, limit (0 = none), policy. Returns {0} (limit reached) or the evicted socket id /
 * entry pairs after inserting.
 */
const LIMIT_AND_INSERT = `
local function limitAndInsert()
  local limit = tonumber(ARGV[3])
  local count = redis.call('HLEN', KEYS[1])
  local evicted = {}
  if limit > 0 and count >= limit then
    if ARGV[4] == 'reject_new' then return false end
    local entries = redis.call('HGETALL', KEYS[1])
    local byAge = {}
    for i = 1, #entries, 2 do
      table.insert(byAge, {entries[i], cjson.decode(entries[i + 1]).connectedAt, entries[i + 1]})
    end
    table.sort(byAge, function(a, b) return a[2] < b[2] end)
    for i = 1, count - limit + 1 do
      redis.call('HDEL', KEYS[1], byAge[i][1])
      table.insert(evicted, byAge[i][1])
      table.insert(evicted, byAge[i][3])
    end
  end
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return evicted
end
`;

// KEYS: the user's sockets, then the SessionCheck's. ARGV: socket id, entry JSON, limit (0 = none), policy, then the
// SessionCheck's. Proves the session (sliding its idle timeout), counts and inserts in one step: a logout that deletes
// the session after this ran finds the entry, and sockets connecting at the same moment on different nodes cannot all
// slip under the limit. Returns {-1} (session ended), {0} (limit reached) or {1, admitted session fields, session data,
// evicted socket id / entry pairs}.
const ADMIT = `${sessionCheckLua({ firstKey: 2, firstArg: 5 }, 'admitted')}${LIMIT_AND_INSERT}
local session = checkSession()
if not session then return {-1} end
local evicted = limitAndInsert()
if not evicted then return {0} end
return {1, session[1], session[2], evicted}`;

// The admission of a socket of an external provider's session, which has no record: KEYS: the user's sockets, the
// user's `externalUserEndedBefore` (same slot). ARGV: as ADMIT's first four, then the session's start (epoch ms).
// Refused {-1} when every session of the user started at or before a recorded time has ended and this one is one of
// them. Returns {-1}, {0} (limit reached) or {1, evicted socket id / entry pairs}. The end of the provider session
// itself (`externalSessionEnded`, another slot) is read beside it by the caller.
const ADMIT_EXTERNAL = `${LIMIT_AND_INSERT}
local endedBefore = redis.call('GET', KEYS[2])
if endedBefore and tonumber(endedBefore) >= tonumber(ARGV[5]) then return {-1} end
local evicted = limitAndInsert()
if not evicted then return {0} end
return {1, evicted}`;

const socketDetailsSchema = { transport: z.enum(['polling', 'websocket']).optional(), credentialExpiresAt: z.number().optional() };
const userEntrySchema = z.object({ nodeId: z.string(), sessionId: z.string(), connectedAt: z.number(), ...socketDetailsSchema });
const nodeEntrySchema = z.object({ userId: z.string(), sessionId: z.string(), connectedAt: z.number(), ...socketDetailsSchema });

/** The JSON of a socket in its user's view. */
function userEntry({ nodeId, sessionId, connectedAt, transport, credentialExpiresAt }: Connection): string {
  return JSON.stringify({ nodeId, sessionId, connectedAt, transport, credentialExpiresAt });
}

/** The JSON of a socket in its node's view. */
function nodeEntry({ userId, sessionId, connectedAt, transport, credentialExpiresAt }: Connection): string {
  return JSON.stringify({ userId, sessionId, connectedAt, transport, credentialExpiresAt });
}

function parseNodeEntry(nodeId: string, socketId: string, json: string): Connection | undefined {
  const parsed = nodeEntrySchema.safeParse(safeJson(json));
  return parsed.success ? { nodeId, socketId, ...parsed.data } : undefined;
}

/**
 * An entry of a node's view as Redis holds it. The re-check compares every entry of its node with its sockets on each
 * pass: as stored, an entry that is current costs one string comparison instead of a parse (at 14,286 sockets the
 * parses were 15 MiB of garbage per pass, two thirds of it validation).
 */
export class StoredNodeEntry {
  constructor(
    readonly nodeId: string,
    readonly socketId: string,
    private readonly json: string,
  ) {}

  /** Whether the entry is exactly what `connection` writes. */
  isOf(connection: Connection): boolean {
    return connection.socketId === this.socketId && connection.nodeId === this.nodeId && this.json === nodeEntry(connection);
  }

  /** The connection recorded, or undefined when the stored JSON is no valid entry. */
  parse(): Connection | undefined {
    return parseNodeEntry(this.nodeId, this.socketId, this.json);
  }
}

/**
 * The shared session registry: which sockets each user (and so each session) has, on which node, since
 * when. Two views are kept: per user (for the admin API) and per node (so a dead node's entries can be
 * swept without scanning every user). Writes are batched (`execBatch`: one pipeline, or one per
 * Cluster node). A plain class: Nest apps provide it through `RegistryModule`.
 */
export class ConnectionRegistry {
  private readonly admitScript;
  private readonly admitExternalScript;

  constructor(private readonly redis: RedisClient) {
    this.admitScript = defineRedisScript<[-1] | [0] | [1, Array<string | null>, string[], string[]]>(redis, 'registryAdmit', 4, ADMIT);
    this.admitExternalScript = defineRedisScript<[-1] | [0] | [1, string[]]>(redis, 'registryAdmitExternal', 2, ADMIT_EXTERNAL);
  }

  /**
   * Records a new socket in its user's entries if its session is alive (proven and touched in the same script)
   * and the user is under the per-user limit; at the limit, `reject_new` refuses it and `evict_oldest` removes
   * the user's oldest entries (returned, for their nodes to disconnect them). The node's own view is written
   * by `addToNode`. `sessionCheck`: `SessionStore.check()` of the connection's session.
   */
  async admit(connection: Connection, limit: { perUser: number; policy: ConnectionLimitPolicy }, sessionCheck: SessionCheck): Promise<Admission> {
    const { socketId, userId, sessionId } = connection;
    const reply = await this.admitScript(
      [redisKeys.userSockets(userId), ...sessionCheck.keys],
      [socketId, userEntry(connection), limit.perUser, limit.policy, ...sessionCheck.args],
    );
    if (reply[0] === -1) return { accepted: false, reason: 'session_ended' };
    if (reply[0] === 0) return { accepted: false, reason: 'limit_reached' };
    const [, recordValues, dataFields, evictedPairs] = reply;
    const session = admittedSessionFromReply(userId, sessionId, recordValues, dataFields);
    return { accepted: true, session, evicted: evictedPairs.length === 0 ? [] : await this.removeEvictedFromNodes(userId, evictedPairs) };
  }

  /**
   * As `admit`, for a socket of an external provider's session: no record to prove; refused when the user's
   * `externalUserEndedBefore` covers `sessionStartedAt`. The caller checks `externalSessionEnded` in the same round trip.
   */
  async admitExternal(connection: Connection, limit: { perUser: number; policy: ConnectionLimitPolicy }, sessionStartedAt: number): Promise<ExternalAdmission> {
    const { socketId, userId } = connection;
    const reply = await this.admitExternalScript(
      [redisKeys.userSockets(userId), redisKeys.externalUserEndedBefore(userId)],
      [socketId, userEntry(connection), limit.perUser, limit.policy, sessionStartedAt],
    );
    if (reply[0] === -1) return { accepted: false, reason: 'session_ended' };
    if (reply[0] === 0) return { accepted: false, reason: 'limit_reached' };
    return { accepted: true, evicted: await this.removeEvictedFromNodes(userId, reply[1]) };
  }

  /** The entries an admission evicted from the user's view (id / entry pairs), removed from their nodes' views too. */
  private async removeEvictedFromNodes(userId: UserId, evictedPairs: string[]): Promise<Connection[]> {
    const evicted: Connection[] = [];
    for (let i = 0; i < evictedPairs.length; i += 2) {
      evicted.push({ socketId: evictedPairs[i], userId, ...userEntrySchema.parse(JSON.parse(evictedPairs[i + 1])) });
    }
    if (evicted.length > 0) {
      await execBatch(this.redis, evicted.map((entry): BatchCommand => ['hdel', redisKeys.nodeSockets(entry.nodeId), entry.socketId]));
    }
    return evicted;
  }

  /**
   * The node's view of a socket `admit` is recording. A single command, so it joins the admit script in
   * one auto-pipelined write when issued in the same turn.
   */
  async addToNode(connection: Connection): Promise<void> {
    await this.redis.hset(redisKeys.nodeSockets(connection.nodeId), connection.socketId, nodeEntry(connection));
  }

  /** Writes these entries in both views, replacing what they held (a socket's transport and credential expiry change). */
  async add(connections: readonly Connection[]): Promise<void> {
    if (connections.length === 0) return;
    await execBatch(
      this.redis,
      connections.flatMap((connection): BatchCommand[] => [
        ['hset', redisKeys.userSockets(connection.userId), connection.socketId, userEntry(connection)],
        ['hset', redisKeys.nodeSockets(connection.nodeId), connection.socketId, nodeEntry(connection)],
      ]),
    );
  }

  async remove(connections: ReadonlyArray<Pick<Connection, 'nodeId' | 'socketId' | 'userId'>>): Promise<void> {
    if (connections.length === 0) return;
    await execBatch(
      this.redis,
      connections.flatMap(({ nodeId, socketId, userId }): BatchCommand[] => [
        ['hdel', redisKeys.userSockets(userId), socketId],
        ['hdel', redisKeys.nodeSockets(nodeId), socketId],
      ]),
    );
  }

  /**
   * Marks the node alive for `ttlMs` more milliseconds. Resolves `true` when the node was not registered:
   * its first heartbeat, or a sweep took it for dead meanwhile (and removed its entries).
   */
  async heartbeat(nodeId: string, ttlMs: number): Promise<boolean> {
    const [added] = await execBatch(this.redis, [
      ['sadd', redisKeys.registryNodes, nodeId],
      ['set', redisKeys.nodeHeartbeat(nodeId), Date.now(), 'PX', ttlMs],
    ]);
    return added === 1;
  }

  async connectionsOf(userId: UserId): Promise<Connection[]> {
    const entries = await this.redis.hgetall(redisKeys.userSockets(userId));
    return Object.entries(entries)
      .map(([socketId, json]) => ({ socketId, userId, ...userEntrySchema.parse(JSON.parse(json)) }))
      .sort((a, b) => a.connectedAt - b.connectedAt);
  }

  async countsPerNode(): Promise<NodeConnectionCount[]> {
    const nodeIds = (await this.redis.smembers(redisKeys.registryNodes)).sort();
    if (nodeIds.length === 0) return [];
    const replies = await execBatch(
      this.redis,
      nodeIds.flatMap((nodeId): BatchCommand[] => [
        ['hlen', redisKeys.nodeSockets(nodeId)],
        ['exists', redisKeys.nodeHeartbeat(nodeId)],
      ]),
    );
    return nodeIds.map((nodeId, index) => ({
      nodeId,
      connections: replies[index * 2] as number,
      alive: replies[index * 2 + 1] === 1,
    }));
  }

  /** Stores what the node reports of itself for `ttlMs` (it republishes with its heartbeat). */
  async publishReport(nodeId: string, report: NodeReport, ttlMs: number): Promise<void> {
    await this.redis.set(redisKeys.nodeReport(nodeId), JSON.stringify(report), 'PX', ttlMs);
  }

  /** The nodes' latest reports; a node without one (expired, or unreadable) is left out. */
  async reportsOf(nodeIds: readonly string[]): Promise<Map<string, NodeReport>> {
    if (nodeIds.length === 0) return new Map();
    const replies = await execBatch(this.redis, nodeIds.map((nodeId): BatchCommand => ['get', redisKeys.nodeReport(nodeId)]));
    const reports = new Map<string, NodeReport>();
    nodeIds.forEach((nodeId, index) => {
      const reply = replies[index];
      const parsed = typeof reply === 'string' ? nodeReportSchema.safeParse(safeJson(reply)) : undefined;
      if (parsed?.success) reports.set(nodeId, parsed.data);
    });
    return reports;
  }

  /**
   * The entries this node has in the registry, in chunks of about `chunkSize` (HSCAN), so that no single reply or
   * parsing step grows with the node's sockets. An entry may come twice (the hash was resized during the scan).
   */
  async *socketsOfNode(nodeId: string, chunkSize: number): AsyncGenerator<StoredNodeEntry[]> {
    const key = redisKeys.nodeSockets(nodeId);
    let cursor = '0';
    do {
      const [next, fields] = await this.redis.hscan(key, cursor, 'COUNT', chunkSize);
      const chunk: StoredNodeEntry[] = [];
      for (let i = 0; i < fields.length; i += 2) chunk.push(new StoredNodeEntry(nodeId, fields[i], fields[i + 1]));
      yield chunk;
      cursor = next;
    } while (cursor !== '0');
  }

  /** Removes every entry of the node, and the node itself when `forget` (clean shutdown). */
  async clearNode(nodeId: string, { forget }: { forget: boolean }): Promise<number> {
    const entries = await this.redis.hgetall(redisKeys.nodeSockets(nodeId));
    const commands: BatchCommand[] = [];
    for (const [socketId, json] of Object.entries(entries)) {
      const connection = parseNodeEntry(nodeId, socketId, json);
      if (connection) commands.push(['hdel', redisKeys.userSockets(connection.userId), socketId]);
    }
    commands.push(['del', redisKeys.nodeSockets(nodeId)]);
    if (forget) commands.push(['srem', redisKeys.registryNodes, nodeId], ['del', redisKeys.nodeHeartbeat(nodeId)], ['del', redisKeys.nodeReport(nodeId)]);
    await execBatch(this.redis, commands);
    return Object.keys(entries).length;
  }

  /** Clears the entries of every node whose heartbeat expired (it died without cleaning up); returns those nodes. */
  async sweepDeadNodes(): Promise<string[]> {
    const counts = await this.countsPerNode();
    const dead = counts.filter((node) => !node.alive).map((node) => node.nodeId);
    for (const nodeId of dead) await this.clearNode(nodeId, { forget: true });
    return dead;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
