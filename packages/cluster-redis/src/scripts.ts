import type { RedisClient } from "./connection.js";

/** A Lua script and how many of its arguments are keys. */
export interface LuaScript {
  readonly keys: number;
  readonly lua: string;
}

// The engine's clock, in ms: leases are compared on one clock, never the nodes'.
const NOW =
  "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";

/** The scripts of the bus; each touches the keys of one hash tag only. */
export const SCRIPTS = {
  /** KEYS members, joined; ARGV node, leaseMs -> now (= joinedAt). */
  join: {
    keys: 2,
    lua: `${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], now)
return now`,
  },
  /**
   * KEYS members, joined; ARGV node, leaseMs, joinedAt ->
   * { renewed (1, or 0 when this run was adopted or replaced), now, members (id, expiry, ...), joined (id, at, ...) }.
   * A lapsed but not adopted lease is renewed: that is the grace after an engine outage.
   */
  heartbeat: {
    keys: 2,
    lua: `${NOW}
local renewed = 0
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[3] then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  renewed = 1
end
return { renewed, now, redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES'), redis.call('HGETALL', KEYS[2]) }`,
  },
  /** KEYS members, joined; ARGV node, joinedAt: leaves (the run stays adoptable). */
  leave: {
    keys: 2,
    lua: `if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 1`,
  },
  /** KEYS members, joined; ARGV node -> 1 for the one caller that adopts a dead (lapsed or left) node. */
  adopt: {
    keys: 2,
    lua: `${NOW}
if not redis.call('HGET', KEYS[2], ARGV[1]) then return 0 end
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expiry and tonumber(expiry) >= now then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`,
  },
  /**
   * KEYS routes; ARGV op ('+' or '-'), route key, channel, message: changes the node's
   * route set and publishes the change from the set's own shard, so one node's changes
   * reach every subscriber in the order they were made (a keyless PUBLISH from a
   * Redis Cluster client may leave through any node).
   */
  route: {
    keys: 1,
    lua: `if ARGV[1] == '+' then redis.call('SADD', KEYS[1], ARGV[2]) else redis.call('SREM', KEYS[1], ARGV[2]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`,
  },
  /** KEYS owner; ARGV node -> { previous node or '', new epoch }. */
  claim: {
    keys: 1,
    lua: `local previous = redis.call('HGET', KEYS[1], 'node')
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'node', ARGV[1])
return { previous or '', epoch }`,
  },
  /** KEYS owner; ARGV epoch -> the released owner's node, or '' when the epoch is not current. */
  release: {
    keys: 1,
    lua: `local node = redis.call('HGET', KEYS[1], 'node')
if not node or redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return '' end
redis.call('HDEL', KEYS[1], 'node')
return node`,
  },
  /**
   * KEYS lease; ARGV node, ttlMs, info ('' for none) -> { node, epoch, expiresAt, info }, as it is after the call:
   * taken when free, lapsed or released (epoch + 1), renewed when this node holds it (epoch kept).
   */
  lease: {
    keys: 1,
    lua: `${NOW}
local h = redis.call('HMGET', KEYS[1], 'node', 'epoch', 'expires', 'info')
local node = h[1]
local epoch = tonumber(h[2] or '0')
local live = node and tonumber(h[3] or '0') >= now
if not live or node == ARGV[1] then
  if not live then epoch = epoch + 1 end
  redis.call('HSET', KEYS[1], 'node', ARGV[1], 'epoch', epoch, 'expires', now + tonumber(ARGV[2]), 'info', ARGV[3])
  return { ARGV[1], epoch, now + tonumber(ARGV[2]), ARGV[3] }
end
return { node, epoch, tonumber(h[3]), h[4] or '' }`,
  },
  /** KEYS lease; ARGV node, epoch -> 1 when this node held it at that epoch (now free; the epoch stays), else 0. */
  unlease: {
    keys: 1,
    lua: `${NOW}
local h = redis.call('HMGET', KEYS[1], 'node', 'epoch', 'expires')
if h[1] ~= ARGV[1] or h[2] ~= ARGV[2] or tonumber(h[3] or '0') < now then return 0 end
redis.call('HDEL', KEYS[1], 'node')
return 1`,
  },
  /**
   * KEYS inbox, limit; ARGV defaultLimit, from, id, channel, body, check (1: refuse beyond the limit) ->
   * { 1, stream id } or { 0, limit } when the inbox is full.
   */
  send: {
    keys: 2,
    lua: `local limit = tonumber(redis.call('GET', KEYS[2]) or ARGV[1])
if ARGV[6] == '1' and redis.call('XLEN', KEYS[1]) >= limit then return { 0, limit } end
return { 1, redis.call('XADD', KEYS[1], '*', 'f', ARGV[2], 'i', ARGV[3], 'c', ARGV[4], 'b', ARGV[5]) }`,
  },
  /** KEYS inbox; ARGV group, stream ids...: acknowledges and deletes them (the stream holds only unacked envelopes). */
  ack: {
    keys: 1,
    lua: `local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
return redis.call('XDEL', KEYS[1], unpack(ids))`,
  },
} satisfies Record<string, LuaScript>;

/** The script names. */
export type ScriptName = keyof typeof SCRIPTS;

/** Makes the scripts callable on `client` (EVALSHA, loaded on first NOSCRIPT). */
export function defineScripts(client: RedisClient): void {
  for (const [name, s] of Object.entries(SCRIPTS))
    client.defineCommand(name, { numberOfKeys: s.keys, lua: s.lua });
}

/** Runs a defined script. */
export function runScript(
  client: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
): Promise<unknown> {
  const command = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name];
  if (command === undefined) throw new Error(`script ${name} is not defined on this client`);
  return command.call(client, ...keys, ...args);
}

/** Runs a defined script, Buffer replies kept as Buffers. */
export function runScriptBuffer(
  client: RedisClient,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number | Buffer)[],
): Promise<unknown> {
  const command = (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[
    `${name}Buffer`
  ];
  if (command === undefined) throw new Error(`script ${name} is not defined on this client`);
  return command.call(client, ...keys, ...args);
}
