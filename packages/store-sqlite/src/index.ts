/**
 * @packageDocumentation
 * `@amqtt/store-sqlite`: a `BrokerStore` (the `@amqtt/store` contract) in one SQLite file
 * (better-sqlite3, WAL mode). Persistent sessions, offline queues and retained
 * messages survive restarts and crashes; writes are grouped into one
 * transaction per event-loop turn, and `flush()` resolves once they are on disk.
 *
 * @example
 * ```ts
 * import { SqliteStore } from "@amqtt/store-sqlite";
 * const store = new SqliteStore({ path: "data/broker.db" });
 * await store.open();
 * await store.enqueue("sensor-1", { topic: "a/b", payload: new Uint8Array([1]), qos: 1, retain: false, enqueuedAt: Date.now() });
 * await store.flush(); // durable now
 * await store.close();
 * ```
 */

export { StoreFormatError, type StoreFormatProblem } from "./errors.js";
export { APPLICATION_ID, type Migration, SCHEMA_VERSION } from "./schema.js";
export { type SqliteDurability, SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
