import mysql from "mysql2/promise";
import pg from "pg";

// Plain SQL on a test server, from its URL alone (a vitest worker gets the URL of
// a server that the global setup started).

const isPostgres = (url: string): boolean => /^postgres(ql)?(\+\w+)?:/i.test(url);
const plain = (url: string): string =>
  url.replace(/^[a-z]+(\+\w+)?:/i, isPostgres(url) ? "postgresql:" : "mysql:");

/** Run statements on the database of `url` (PostgreSQL or MariaDB, aMQTT's spelling too); the rows of each. */
export async function runSql(url: string, ...statements: string[]): Promise<unknown[][]> {
  const out: unknown[][] = [];
  if (isPostgres(url)) {
    const client = new pg.Client({ connectionString: plain(url) });
    await client.connect();
    try {
      for (const sql of statements) out.push((await client.query(sql)).rows);
    } finally {
      await client.end();
    }
    return out;
  }
  const connection = await mysql.createConnection({ uri: plain(url) });
  try {
    for (const sql of statements) out.push((await connection.query(sql))[0] as unknown[]);
  } finally {
    await connection.end();
  }
  return out;
}

/**
 * A new, empty database `name` (letters, digits, `_`; it must start with `amqtt_`)
 * on the server of `url`, dropped first if it exists; returns its URL. Test files
 * that share one server each take their own.
 */
export async function createTestDatabase(url: string, name: string): Promise<string> {
  if (!/^amqtt_\w+$/.test(name)) throw new Error(`test database names are amqtt_<word>, got ${name}`);
  await runSql(url, `DROP DATABASE IF EXISTS ${name}`, `CREATE DATABASE ${name}`);
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}
