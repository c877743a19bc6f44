// The Lua scripts of the store: each change that touches more than one key is
// one script, so it is atomic (Redis runs a script alone) and costs one round
// trip. Every key a script touches shares the hash tag of its first key (see
// keys.ts), so the scripts also run on a Redis Cluster. Limits come in as
// numbers, -1 for none (Infinity). The "STALE_EPOCH <current>" error reply is
// our own protocol: the first word names the error, as Redis' own do.

const FENCE_CHECK = `
local function stale(key, epoch)
  if epoch == '' then return nil end
  local current = tonumber(redis.call('GET', key) or '0')
  if current > tonumber(epoch) then return redis.error_reply('STALE_EPOCH ' .. current) end
  return nil
end
`;

const LIMIT = `
local function limit(text)
  local n = tonumber(text)
  if n < 0 then return math.huge end
  return n
end
`;

// Delete a client's queue and its entries in the bucket's expiry index.
const DROP_QUEUE = `
local function dropQueue(queue, bytes, expiry, id)
  if redis.call('ZCARD', expiry) > 0 then
    for _, member in ipairs(redis.call('ZRANGE', queue, 0, -1)) do
      local seq, exp = string.match(member, '^(%d+)|%d+|(%d*)|')
      if exp ~= '' then redis.call('ZREM', expiry, seq .. ':' .. id) end
    end
  end
  redis.call('DEL', queue, bytes)
end
`;

/** A script: its source and how many of its arguments are keys. @internal */
export interface ScriptSource {
  keys: number;
  lua: string;
}

/** KEYS: epoch. ARGV: epoch. Raises the epoch to ARGV[1] unless it is already higher. */
const fence: ScriptSource = {
  keys: 1,
  lua: `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local epoch = tonumber(ARGV[1])
if current > epoch then return redis.error_reply('STALE_EPOCH ' .. current) end
if epoch > current then redis.call('SET', KEYS[1], ARGV[1]) end
return current
`,
};

/** KEYS: session, sessions, sexp, epoch. ARGV: id, record, expiresAt|'', epoch|''. */
const saveSession: ScriptSource = {
  keys: 4,
  lua: `${FENCE_CHECK}
local refused = stale(KEYS[4], ARGV[4])
if refused then return refused end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
if ARGV[3] == '' then redis.call('ZREM', KEYS[3], ARGV[1]) else redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1]) end
return 1
`,
};

/** KEYS: session, sessions, sexp, epoch, queue, qbytes, qexp. ARGV: id, epoch|''. The epoch key stays: epochs never go back. */
const deleteSession: ScriptSource = {
  keys: 7,
  lua: `${FENCE_CHECK}${DROP_QUEUE}
local refused = stale(KEYS[4], ARGV[2])
if refused then return refused end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
dropQueue(KEYS[5], KEYS[6], KEYS[7], ARGV[1])
return 1
`,
};

/** KEYS: sessions (of a bucket). Every session record of the bucket. */
const listSessions: ScriptSource = {
  keys: 1,
  lua: `
local base = string.sub(KEYS[1], 1, -9) -- strip "sessions"
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local record = redis.call('GET', base .. 'session:' .. id)
  if record then out[#out + 1] = record end
end
return out
`,
};

/** KEYS: sexp (of a bucket). ARGV: now. Deletes the expired sessions with their queues; returns their records. */
const deleteExpiredSessions: ScriptSource = {
  keys: 1,
  lua: `${DROP_QUEUE}
local base = string.sub(KEYS[1], 1, -5) -- strip "sexp"
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do
  local key = base .. 'session:' .. id
  local record = redis.call('GET', key)
  if record then out[#out + 1] = record end
  redis.call('DEL', key)
  redis.call('SREM', base .. 'sessions', id)
  dropQueue(base .. 'q:' .. id, base .. 'qb:' .. id, base .. 'qexp', id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return out
`,
};

/**
 * KEYS: queue, qbytes, qexp, seq. ARGV: id, maxCount, maxBytes, policy ("d" drop-oldest,
 * "r" refuse-new), then per message, in order: size, expiresAt|'', entry. Several
 * messages of one turn for one client are one call. Returns accepted (0|1), dropped per message.
 */
const enqueue: ScriptSource = {
  keys: 4,
  lua: `${LIMIT}
local maxCount = limit(ARGV[2])
local maxBytes = limit(ARGV[3])
local count = redis.call('ZCARD', KEYS[1])
local bytes = tonumber(redis.call('GET', KEYS[2]) or '0')
local results = {}
for i = 5, #ARGV, 3 do
  local size = tonumber(ARGV[i])
  local accepted = 0
  local dropped = 0
  local full = count + 1 > maxCount or bytes + size > maxBytes
  if size <= maxBytes and not (full and ARGV[4] == 'r') then
    while count > 0 and (count + 1 > maxCount or bytes + size > maxBytes) do
      local oldest = redis.call('ZPOPMIN', KEYS[1])[1]
      local seq, s, exp = string.match(oldest, '^(%d+)|(%d+)|(%d*)|')
      bytes = bytes - tonumber(s)
      count = count - 1
      dropped = dropped + 1
      if exp ~= '' then redis.call('ZREM', KEYS[3], seq .. ':' .. ARGV[1]) end
    end
    local seq = redis.call('INCR', KEYS[4])
    redis.call('ZADD', KEYS[1], seq, seq .. '|' .. ARGV[i + 2])
    if ARGV[i + 1] ~= '' then redis.call('ZADD', KEYS[3], ARGV[i + 1], seq .. ':' .. ARGV[1]) end
    count = count + 1
    bytes = bytes + size
    accepted = 1
  end
  results[#results + 1] = accepted
  results[#results + 1] = dropped
end
if count > 0 then redis.call('SET', KEYS[2], string.format('%d', bytes)) end
return results
`,
};

/** KEYS: queue, qbytes, qexp, epoch. ARGV: id, throughSeq, epoch|''. Returns how many were removed. */
const ackQueue: ScriptSource = {
  keys: 4,
  lua: `${FENCE_CHECK}
local refused = stale(KEYS[4], ARGV[3])
if refused then return refused end
local acked = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if #acked == 0 then return 0 end
local bytes = tonumber(redis.call('GET', KEYS[2]) or '0')
for _, member in ipairs(acked) do
  local seq, s, exp = string.match(member, '^(%d+)|(%d+)|(%d*)|')
  bytes = bytes - tonumber(s)
  if exp ~= '' then redis.call('ZREM', KEYS[3], seq .. ':' .. ARGV[1]) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], string.format('%d', bytes)) end
return #acked
`,
};

/** KEYS: queue, qbytes, qexp, epoch. ARGV: id, epoch|''. */
const clearQueue: ScriptSource = {
  keys: 4,
  lua: `${FENCE_CHECK}${DROP_QUEUE}
local refused = stale(KEYS[4], ARGV[2])
if refused then return refused end
dropQueue(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
return 1
`,
};

/** KEYS: queue, qbytes. Returns {count, bytes}. */
const queueUsage: ScriptSource = {
  keys: 2,
  lua: `return {redis.call('ZCARD', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0')}`,
};

/** KEYS: qexp (of a bucket). ARGV: now. Removes the expired queued messages of the bucket; returns how many. */
const dropExpiredQueued: ScriptSource = {
  keys: 1,
  lua: `
local base = string.sub(KEYS[1], 1, -5) -- strip "qexp"
local dropped = 0
for _, due in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do
  local seq, id = string.match(due, '^(%d+):(.*)$')
  local queue = base .. 'q:' .. id
  local bytesKey = base .. 'qb:' .. id
  local found = redis.call('ZRANGEBYSCORE', queue, seq, seq)[1]
  if found then
    local s = string.match(found, '^%d+|(%d+)|')
    redis.call('ZREMRANGEBYSCORE', queue, seq, seq)
    if redis.call('ZCARD', queue) == 0 then redis.call('DEL', bytesKey) else redis.call('DECRBY', bytesKey, s) end
    dropped = dropped + 1
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return dropped
`,
};

const RETAINED_REMOVE = `
local function removeRetained(topic, previous)
  local s = tonumber(string.match(previous, '^(%d+)|'))
  redis.call('HDEL', KEYS[1], topic)
  redis.call('ZREM', KEYS[2], topic)
  redis.call('ZREM', KEYS[3], topic)
  redis.call('DECRBY', KEYS[4], s)
end
`;

/**
 * KEYS: retained, rtopics, rexp, rbytes. ARGV: topic, size, expiresAt|'', entry ('' clears),
 * maxCount, maxBytes. Returns {stored 0|1, refusedBy|''}; the rule of `retainedRefusal` in `@amqtt/store`.
 */
const setRetained: ScriptSource = {
  keys: 4,
  lua: `${LIMIT}${RETAINED_REMOVE}
local topic = ARGV[1]
local previous = redis.call('HGET', KEYS[1], topic)
if ARGV[4] == '' then
  if previous then removeRetained(topic, previous) end
  return {1, ''}
end
local size = tonumber(ARGV[2])
local previousSize = 0
if previous then previousSize = tonumber(string.match(previous, '^(%d+)|')) end
if not previous and redis.call('HLEN', KEYS[1]) + 1 > limit(ARGV[5]) then return {0, 'count'} end
local bytes = tonumber(redis.call('GET', KEYS[4]) or '0')
if bytes - previousSize + size > limit(ARGV[6]) then return {0, 'bytes'} end
redis.call('HSET', KEYS[1], topic, ARGV[4])
redis.call('ZADD', KEYS[2], 0, topic)
if ARGV[3] == '' then redis.call('ZREM', KEYS[3], topic) else redis.call('ZADD', KEYS[3], ARGV[3], topic) end
redis.call('SET', KEYS[4], string.format('%d', bytes - previousSize + size))
return {1, ''}
`,
};

/** KEYS: retained, rtopics. ARGV: lexical min, max. Returns topic, entry, topic, entry... of the topics in range. */
const retainedRange: ScriptSource = {
  keys: 2,
  lua: `
local out = {}
for _, topic in ipairs(redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], ARGV[2])) do
  local entry = redis.call('HGET', KEYS[1], topic)
  if entry then out[#out + 1] = topic; out[#out + 1] = entry end
end
return out
`,
};

/** KEYS: retained, rbytes. Returns {count, bytes}. */
const retainedUsage: ScriptSource = {
  keys: 2,
  lua: `return {redis.call('HLEN', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0')}`,
};

/** KEYS: retained, rtopics, rexp, rbytes. ARGV: now. Returns how many were removed. */
const dropExpiredRetained: ScriptSource = {
  keys: 4,
  lua: `${RETAINED_REMOVE}
local dropped = 0
for _, topic in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])) do
  local previous = redis.call('HGET', KEYS[1], topic)
  if previous then
    removeRetained(topic, previous)
    dropped = dropped + 1
  else
    redis.call('ZREM', KEYS[3], topic)
  end
end
return dropped
`,
};

/** Every script of the store, by command name. @internal */
export const SCRIPTS = {
  amqttFence: fence,
  amqttSaveSession: saveSession,
  amqttDeleteSession: deleteSession,
  amqttListSessions: listSessions,
  amqttDeleteExpiredSessions: deleteExpiredSessions,
  amqttEnqueue: enqueue,
  amqttAckQueue: ackQueue,
  amqttClearQueue: clearQueue,
  amqttQueueUsage: queueUsage,
  amqttDropExpiredQueued: dropExpiredQueued,
  amqttSetRetained: setRetained,
  amqttRetainedRange: retainedRange,
  amqttRetainedUsage: retainedUsage,
  amqttDropExpiredRetained: dropExpiredRetained,
} as const satisfies Record<string, ScriptSource>;

/** The name of a script of {@link SCRIPTS}. @internal */
export type ScriptName = keyof typeof SCRIPTS;
