/**
 * @packageDocumentation
 * `@amqtt/store-sql`: the broker's storage (the `@amqtt/store` contract) on a
 * database server: PostgreSQL through `pg`, MySQL and MariaDB through `mysql2`.
 * Persistent sessions, offline queues and retained messages survive broker
 * restarts and crashes; writes are grouped into transactions, and `flush()`
 * resolves once they are committed.
 *
 * @example
 * ```ts
 * import { createSqlStore } from "@amqtt/store-sql";
 * const store = createSqlStore({ url: "postgresql://amqtt@db.internal/amqtt", passwordFile: "/run/secrets/db" });
 * await store.open();
 * await store.enqueue("sensor-1", { topic: "a/b", payload: new Uint8Array([1]), qos: 1, retain: false, enqueuedAt: Date.now() });
 * await store.flush(); // committed now
 * await store.close();
 * ```
 */

export type { Migration } from "./dialect.js";
export {
  StoreBusyError,
  StoreConnectionError,
  StoreSchemaError,
  type StoreSchemaProblem,
} from "./errors.js";
export { SqlStore, type SqlStoreOptions } from "./sql-store.js";
export { createSqlStore, MysqlStore, PostgresStore } from "./stores.js";
export { DatabaseUrlError, redactDatabaseUrl, type SqlDialect, sqlDialectOf } from "./url.js";
