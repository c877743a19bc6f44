/**
 * @packageDocumentation
 * `@amqtt/store-redis`: the broker's storage (the `@amqtt/store` contract) in
 * Redis 7 or Valkey, one server or a Redis Cluster, through `ioredis`.
 * Persistent sessions, offline queues and retained messages outlive the
 * broker process and are shared by every broker node on the same Redis; the
 * bounds hold inside Redis; a session claimed by a newer epoch fences off the
 * old owner's writes.
 *
 * @example
 * ```ts
 * import { RedisStore } from "@amqtt/store-redis";
 * const store = new RedisStore({ url: "redis://127.0.0.1:6379/0", keyPrefix: "amqtt:" });
 * await store.open();
 * await store.enqueue("sensor-1", { topic: "a/b", payload: new Uint8Array([1]), qos: 1, retain: false, enqueuedAt: Date.now() });
 * await store.flush(); // Redis answered every earlier write
 * await store.close();
 * ```
 */

export { type ClusterNodeAddress, DEFAULT_REDIS_URL } from "./connection.js";
export { RedisUrlError, StoreBusyError, StoreConnectionError } from "./errors.js";
export { SESSION_BUCKETS } from "./keys.js";
export { RedisStore, type RedisStoreOptions } from "./redis-store.js";
