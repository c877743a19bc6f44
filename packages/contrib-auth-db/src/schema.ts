import type { Database } from "./database.js";

/** The ACL actions with a column each (`publish_acl`, `subscribe_acl`, `receive_acl`), as aMQTT's `Action`. */
export const ACL_ACTIONS = ["publish", "subscribe", "receive"] as const;

/** One of `ACL_ACTIONS`. */
export type AclAction = (typeof ACL_ACTIONS)[number];

/** aMQTT's table names. */
export const USER_TABLE = "user_auth";
/** aMQTT's table of per-user topic lists. */
export const TOPIC_TABLE = "topic_auth";

/**
 * aMQTT's two tables (SQLAlchemy models `UserAuth` and `TopicAuth`), with the
 * same columns and types: topic lists are JSON arrays of `{"topic": ...}`.
 * MySQL needs a length on VARCHAR (aMQTT's unsized `String` fails there: QUIRK),
 * so user names are VARCHAR(255) on MySQL and MariaDB.
 */
function tableStatements(dialect: Database["dialect"]): string[] {
  const id =
    dialect === "postgresql"
      ? "id SERIAL PRIMARY KEY"
      : dialect === "mysql"
        ? "id INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY"
        : "id INTEGER NOT NULL PRIMARY KEY";
  const name = dialect === "mysql" ? "VARCHAR(255)" : "VARCHAR";
  const acls = "publish_acl JSON, subscribe_acl JSON, receive_acl JSON";
  return [
    `CREATE TABLE IF NOT EXISTS ${USER_TABLE} (${id}, username ${name} NOT NULL UNIQUE, password_hash VARCHAR(128) NOT NULL, ${acls})`,
    `CREATE TABLE IF NOT EXISTS ${TOPIC_TABLE} (${id}, username ${name} NOT NULL UNIQUE, ${acls})`,
  ];
}

/** Create both tables when missing (aMQTT's `sync_schema` and the `sync` command); never drops anything. */
export async function syncSchema(db: Database): Promise<void> {
  for (const statement of tableStatements(db.dialect)) await db.run(statement);
}

/** Read a JSON topic-list column (a string on SQLite and MariaDB, parsed already on PostgreSQL and MySQL). */
export function topicsOf(value: unknown): string[] {
  const list: unknown = typeof value === "string" ? JSON.parse(value) : value;
  if (!Array.isArray(list)) return [];
  return list
    .map((item) =>
      item !== null && typeof item === "object" ? (item as { topic?: unknown }).topic : undefined,
    )
    .filter((topic): topic is string => typeof topic === "string");
}

/** Write a topic list column as aMQTT does: `[{"topic": "a/#"}, ...]`. */
export function topicsJson(topics: readonly string[]): string {
  return JSON.stringify(topics.map((topic) => ({ topic })));
}
