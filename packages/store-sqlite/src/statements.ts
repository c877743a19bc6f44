import type Database from "better-sqlite3";

/**
 * The SQL of every statement the store runs (exported for query-plan tests).
 * Statements listed in `PLUCKED` return one column and yield the value itself.
 * @internal
 */
export const SQL = {
  saveSession: `INSERT INTO sessions (client_id, expires_at, record) VALUES (?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET expires_at = excluded.expires_at, record = excluded.record`,
  loadSession: "SELECT record FROM sessions WHERE client_id = ?",
  deleteSession: "DELETE FROM sessions WHERE client_id = ?",
  listSessions: "SELECT record FROM sessions",
  deleteExpiredSessions: "DELETE FROM sessions WHERE expires_at <= ? RETURNING client_id AS clientId, record",
  queueUsage: "SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM queue WHERE client_id = ?",
  oldestQueued: "SELECT seq, size FROM queue WHERE client_id = ? ORDER BY seq",
  enqueue: `INSERT INTO queue (client_id, topic, payload, qos, retain, properties, expires_at, enqueued_at, size)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  peekQueue: `SELECT seq, topic, payload, qos, retain, properties, expires_at, enqueued_at
       FROM queue WHERE client_id = ? ORDER BY seq LIMIT ?`,
  ackQueue: "DELETE FROM queue WHERE client_id = ? AND seq <= ? RETURNING size",
  dropQueuedThrough: "DELETE FROM queue WHERE client_id = ? AND seq <= ?",
  clearQueue: "DELETE FROM queue WHERE client_id = ?",
  dropExpiredQueued: "DELETE FROM queue WHERE expires_at <= ? RETURNING client_id AS clientId, size",
  retainedSize: "SELECT size FROM retained WHERE topic = ?",
  setRetained: `INSERT INTO retained (topic, payload, qos, retain, properties, expires_at, stored_at, size)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos,
         retain = excluded.retain, properties = excluded.properties, expires_at = excluded.expires_at,
         stored_at = excluded.stored_at, size = excluded.size`,
  clearRetained: "DELETE FROM retained WHERE topic = ?",
  getRetained:
    "SELECT topic, payload, qos, retain, properties, expires_at, stored_at FROM retained WHERE topic = ?",
  globRetained:
    "SELECT topic, payload, qos, retain, properties, expires_at, stored_at FROM retained WHERE topic GLOB ?",
  listRetained: "SELECT topic, payload, qos, retain, properties, expires_at, stored_at FROM retained",
  retainedUsage: "SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM retained",
  // Changes whenever another connection commits to the file.
  dataVersion: "PRAGMA data_version",
  dropExpiredRetained: "DELETE FROM retained WHERE expires_at <= ? RETURNING size",
} as const;

const PLUCKED: ReadonlySet<keyof typeof SQL> = new Set<keyof typeof SQL>([
  "loadSession",
  "listSessions",
  "ackQueue",
  "retainedSize",
  "dropExpiredRetained",
  "dataVersion",
]);

/** The prepared statements of one connection. @internal */
export type Statements = { readonly [name in keyof typeof SQL]: Database.Statement };

/** Prepare every statement the store runs, once per connection. @internal */
export function prepareStatements(db: Database.Database): Statements {
  const statements: Partial<Record<keyof typeof SQL, Database.Statement>> = {};
  for (const name of Object.keys(SQL) as (keyof typeof SQL)[]) {
    const statement = db.prepare(SQL[name]);
    statements[name] = PLUCKED.has(name) ? statement.pluck() : statement;
  }
  return statements as Statements;
}
