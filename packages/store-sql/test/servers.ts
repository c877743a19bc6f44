import type { DbServer } from "@amqtt/test-utils";
import { startMariadb } from "@amqtt/test-utils/mariadb";
import { startPostgres } from "@amqtt/test-utils/postgres";
import { afterAll, beforeAll } from "vitest";
import { MysqlStore, PostgresStore, type SqlStore, type SqlStoreOptions } from "../src/index.js";

/** A real server the tests of one file share, and how to make a store on it. */
export interface Backend {
  name: string;
  start(): Promise<DbServer>;
  store(options: SqlStoreOptions): SqlStore;
}

/** PostgreSQL and MariaDB, each started for real by the file that uses it. */
export const BACKENDS: readonly Backend[] = [
  { name: "PostgreSQL", start: startPostgres, store: (options) => new PostgresStore(options) },
  { name: "MariaDB", start: startMariadb, store: (options) => new MysqlStore(options) },
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
