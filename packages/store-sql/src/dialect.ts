import type { ConnectionTimeouts, QueryResult, SqlConnection } from "./connection.js";
import type { SqlDialect } from "./url.js";

/** One step of the schema: from `version - 1` to `version`. */
export interface Migration {
  /** The schema version this step produces (1, 2, ...). */
  version: number;
  /** What the step changes, for logs and reviews. */
  description: string;
  /** The statements, run in order (each one alone: MySQL takes one statement per call). */
  statements: readonly string[];
}

/**
 * What differs between PostgreSQL and MySQL/MariaDB: the driver, the column
 * types (in the migrations), upserts, the write-lock counter, advisory locks.
 * Every other statement is the same text on both (see `statements.ts`).
 * @internal
 */
export interface Dialect {
  name: SqlDialect;
  /** For messages: `PostgreSQL`, `MySQL/MariaDB`. */
  label: string;
  connect(url: string, target: string, timeouts: ConnectionTimeouts): Promise<SqlConnection>;
  /** The SQL expression of the schema (PostgreSQL) or database (MySQL) the tables live in. */
  currentSchema: string;
  /** DDL runs inside transactions (PostgreSQL); MySQL commits each DDL statement by itself. */
  transactionalDdl: boolean;
  migrations: readonly Migration[];
  /** Take and release the lock that serialises migrations of several stores starting at once. */
  lockMigrations: string;
  unlockMigrations: string;
  /** Upsert the session row: client_key, expires_at, record. */
  saveSession: string;
  /** Upsert the retained row: topic_key, topic, payload, qos, retain, properties, expires_at, stored_at, size. */
  setRetained: string;
  /**
   * Bump the meta row's `write_version` (the row lock it takes is the store's
   * write lock until the commit) and return the new value.
   */
  bumpWriteVersion(connection: SqlConnection): Promise<number>;
}

/** Our tables, for recognising a database of ours (and a foreign one). @internal */
export const STORE_TABLES = ["amqtt_store_meta", "amqtt_sessions", "amqtt_queue", "amqtt_retained"] as const;

/** The `application` value of our meta row. @internal */
export const APPLICATION = "amqtt-store";

/** The first value of a one-row, one-column result, as a number. @internal */
export function firstNumber(result: QueryResult, column: string): number {
  return Number(result.rows[0]?.[column] ?? 0);
}
