import type { DbServer } from "@amqtt/test-utils";
import { startMariadb } from "@amqtt/test-utils/mariadb";
import { startPostgres } from "@amqtt/test-utils/postgres";
import type { TestProject } from "vitest/node";

// One PostgreSQL and one MariaDB for the whole package run (real servers, free
// loopback ports, temp dirs, stopped by PID after the last file); each test file
// makes a database of its own on them (see servers.ts).

declare module "vitest" {
  export interface ProvidedContext {
    /** The servers' admin-free URLs (the `amqtt` user may create `amqtt_*` databases). */
    sqlServers: { postgresql: string; mariadb: string; passwords: string[] };
  }
}

let servers: DbServer[] = [];

/** Start both servers (in parallel) and hand their URLs to the test files. */
export async function setup(project: TestProject): Promise<void> {
  servers = await Promise.all([startPostgres(), startMariadb()]);
  const [postgresql, mariadb] = servers as [DbServer, DbServer];
  project.provide("sqlServers", {
    postgresql: postgresql.url,
    mariadb: mariadb.url,
    passwords: servers.map((s) => s.password),
  });
}

/** Stop both by PID. */
export async function teardown(): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}
