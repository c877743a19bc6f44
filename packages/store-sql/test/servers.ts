import { createTestDatabase, runSql } from "@amqtt/test-utils/sql";
import { beforeAll, inject } from "vitest";
import type { Migration } from "../src/dialect.js";
import { MysqlStore, PostgresStore, type SqlStore, type SqlStoreOptions } from "../src/index.js";
import { mysqlDialect } from "../src/mysql-dialect.js";
import { postgresDialect } from "../src/postgres-dialect.js";

/** A database of one test file, on a server the global setup started. */
export interface TestDatabase {
  /** Its URL, in aMQTT's spelling, password included. */
  url: string;
  /** The password in the URL (to check that messages leave it out). */
  password: string;
  /** Run statements on it (a fresh connection); the rows of each. */
  query(...statements: string[]): Promise<unknown[][]>;
}

/** A server kind and how to make a store on it. */
export interface Backend {
  name: "PostgreSQL" | "MariaDB";
  store(options: SqlStoreOptions): SqlStore;
  /** The dialect's schema steps (for tests that add one). */
  migrations(): readonly Migration[];
}

/** PostgreSQL and MariaDB. */
export const BACKENDS: readonly Backend[] = [
  {
    name: "PostgreSQL",
    store: (options) => new PostgresStore(options),
    migrations: () => postgresDialect.migrations,
  },
  { name: "MariaDB", store: (options) => new MysqlStore(options), migrations: () => mysqlDialect.migrations },
];

/**
 * A database of its own for this file on `backend`'s server (created before the
 * file's tests; files run in parallel on the same servers). The getter gives it.
 */
export function useServer(backend: Backend, name: string): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    const servers = inject("sqlServers");
    const server = backend.name === "PostgreSQL" ? servers.postgresql : servers.mariadb;
    const url = await createTestDatabase(server, `amqtt_${name}`);
    const password = decodeURIComponent(new URL(url).password);
    database = { url, password, query: (...statements) => runSql(url, ...statements) };
  });
  return () => {
    if (database === undefined) throw new Error(`no ${backend.name} database (did the global setup run?)`);
    return database;
  };
}

/** The store's tables, children first. */
export const STORE_TABLES = ["amqtt_queue", "amqtt_sessions", "amqtt_retained", "amqtt_store_meta"];

/** Drop every table of the store: the next test starts on an empty database. */
export async function dropStoreTables(database: TestDatabase): Promise<void> {
  await database.query(...STORE_TABLES.map((t) => `DROP TABLE IF EXISTS ${t}`));
}

// The store's sessions on this file's database only: other files share the server.
const STORE_SESSIONS: Record<Backend["name"], string> = {
  PostgreSQL:
    "SELECT pid AS id FROM pg_stat_activity WHERE application_name = 'amqtt-store' AND datname = current_database()",
  MariaDB:
    "SELECT id FROM information_schema.processlist WHERE user = 'amqtt' AND db = DATABASE() AND id <> CONNECTION_ID()",
};

/** Cut the store's sessions from the server side, as an outage or a DBA would (the server stays up). */
export async function terminateStoreSessions(
  backend: Backend,
  database: TestDatabase,
  /** MariaDB sessions of the test's own to spare (the store's cannot be told apart by name there). */
  spare: number[] = [],
): Promise<void> {
  const [rows] = await database.query(STORE_SESSIONS[backend.name]);
  const ids = (rows as { id: unknown }[]).map((r) => Number(r.id)).filter((id) => !spare.includes(id));
  if (ids.length === 0) return;
  await database.query(
    ...ids.map((id) => (backend.name === "PostgreSQL" ? `SELECT pg_terminate_backend(${id})` : `KILL ${id}`)),
  );
}

/** Resolves once the server lists no session of the store on this database any more. */
export async function storeSessionsGone(backend: Backend, database: TestDatabase): Promise<void> {
  for (;;) {
    const [rows] = await database.query(STORE_SESSIONS[backend.name]);
    if ((rows as unknown[]).length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
