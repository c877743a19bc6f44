import type { DbServer } from "@amqtt/test-utils";
import { startMariadb } from "@amqtt/test-utils/mariadb";
import { startPostgres } from "@amqtt/test-utils/postgres";
import { afterAll, beforeAll } from "vitest";
import type { Migration } from "../src/dialect.js";
import { MysqlStore, PostgresStore, type SqlStore, type SqlStoreOptions } from "../src/index.js";
import { mysqlDialect } from "../src/mysql-dialect.js";
import { postgresDialect } from "../src/postgres-dialect.js";

/** A real server the tests of one file share, and how to make a store on it. */
export interface Backend {
  name: string;
  start(): Promise<DbServer>;
  store(options: SqlStoreOptions): SqlStore;
  /** The dialect's schema steps (for tests that add one). */
  migrations(): readonly Migration[];
}

/** PostgreSQL and MariaDB, each started for real by the file that uses it. */
export const BACKENDS: readonly Backend[] = [
  {
    name: "PostgreSQL",
    start: startPostgres,
    store: (options) => new PostgresStore(options),
    migrations: () => postgresDialect.migrations,
  },
  {
    name: "MariaDB",
    start: startMariadb,
    store: (options) => new MysqlStore(options),
    migrations: () => mysqlDialect.migrations,
  },
];

/**
 * Start `backend` before the file's tests and stop it (by PID) after them.
 * The returned getter gives the running server.
 */
export function useServer(backend: Backend): () => DbServer {
  let server: DbServer | undefined;
  beforeAll(async () => {
    server = await backend.start();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error(`${backend.name} did not start`);
    return server;
  };
}

/** The store's tables, children first. */
export const STORE_TABLES = ["amqtt_queue", "amqtt_sessions", "amqtt_retained", "amqtt_store_meta"];

/** Drop every table of the store: the next test starts on an empty database. */
export async function dropStoreTables(server: DbServer): Promise<void> {
  await server.query(...STORE_TABLES.map((t) => `DROP TABLE IF EXISTS ${t}`));
}

/** Cut the store's sessions from the server side, as an outage or a DBA would (the server stays up). */
export async function terminateStoreSessions(
  backend: Backend,
  server: DbServer,
  /** MariaDB sessions of the test's own to spare (the store's cannot be told apart by name there). */
  spare: number[] = [],
): Promise<void> {
  if (backend.name === "PostgreSQL") {
    await server.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'amqtt-store'",
    );
    return;
  }
  const [rows] = await server.query(
    "SELECT id FROM information_schema.processlist WHERE user = 'amqtt' AND id <> CONNECTION_ID()",
  );
  const ids = (rows as { id: number }[]).map((r) => Number(r.id)).filter((id) => !spare.includes(id));
  if (ids.length > 0) await server.query(...ids.map((id) => `KILL ${id}`));
}

/** Resolves once the server lists no session of the store any more. */
export async function storeSessionsGone(backend: Backend, server: DbServer): Promise<void> {
  const sql =
    backend.name === "PostgreSQL"
      ? "SELECT pid FROM pg_stat_activity WHERE application_name = 'amqtt-store'"
      : "SELECT id FROM information_schema.processlist WHERE user = 'amqtt' AND id <> CONNECTION_ID()";
  for (;;) {
    const [rows] = await server.query(sql);
    if ((rows as unknown[]).length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
