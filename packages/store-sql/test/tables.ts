import mysql from "mysql2/promise";
import pg from "pg";
import { sqlDialectOf } from "../src/index.js";

const TABLES = ["amqtt_queue", "amqtt_sessions", "amqtt_retained", "amqtt_store_meta"];

/** Run `statements` on the test server directly (not through a store). */
export async function onServer(url: string, statements: string[]): Promise<unknown[][]> {
  const postgres = sqlDialectOf(url) === "postgresql";
  const plain = url.replace(/^[a-z]+\+[a-z]+:/, postgres ? "postgresql:" : "mysql:");
  const out: unknown[][] = [];
  if (postgres) {
    const client = new pg.Client({ connectionString: plain });
    await client.connect();
    try {
      for (const sql of statements) out.push((await client.query(sql)).rows);
    } finally {
      await client.end();
    }
  } else {
    const connection = await mysql.createConnection({ uri: plain });
    try {
      for (const sql of statements) out.push((await connection.query(sql))[0] as unknown[]);
    } finally {
      await connection.end();
    }
  }
  return out;
}

/** Drop every table of the store: the next test starts on an empty database. */
export async function dropStoreTables(url: string): Promise<void> {
  await onServer(
    url,
    TABLES.map((t) => `DROP TABLE IF EXISTS ${t}`),
  );
}
