/**
 * Redis could not be reached, the connection broke, a command ran past
 * `commandTimeoutMs`, or Redis refused a command (out of memory, read-only
 * replica, too few replicas for `wait`). The store rejects with it and never
 * hangs; a write that failed this way may or may not have been applied, so the
 * broker treats it as not acknowledged. Callers branch on
 * `name === "StoreConnectionError"` (the name `@amqtt/store-sql` uses too).
 * The message names the server without its password.
 */
export class StoreConnectionError extends Error {
  override name = "StoreConnectionError";
}

/**
 * More calls wait for Redis than `maxPendingOperations`: the call is refused
 * at once instead of growing ioredis' queue without bound (an outage would
 * otherwise buffer every publish in memory). Callers branch on
 * `name === "StoreBusyError"`.
 */
export class StoreBusyError extends Error {
  override name = "StoreBusyError";
}

/** The Redis URL or cluster node list cannot be used. Callers branch on `name === "RedisUrlError"`. */
export class RedisUrlError extends Error {
  override name = "RedisUrlError";
}
